"""Which unanswered numbers would move the shown economics enough to be worth asking (the strategy being settled)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from knowledge.loader import Catalog, default_catalog
from rules.context import traffic_of
from rules.economics import CACHE_MIN_TOKENS, cost_today
from rules.facts import Profile, Strategy

COST_FIELDS = ("requests_per_day", "prompt_tokens", "input_tokens", "output_tokens")
# Asked when a plausible answer (a quarter or four times the default) would move the monthly cost by more than this.
SHARE = 0.25
SPREAD = 4
SHOWN_MIN_PROMPT_TOKENS = CACHE_MIN_TOKENS
SHOWN_MIN_MONTHLY_USD = 100.0


def _monthly(values: Mapping[str, Any], catalog: Catalog, today: dt.date) -> float | None:
    return cost_today(catalog, values["provider"], values["model"], traffic_of(values), today).total


def cost_questions(
    answers: Mapping[str, Any], order: Sequence[str], strategy: Strategy, today: dt.date, catalog: Catalog | None = None
) -> tuple[str, ...]:
    """The unanswered cost fields, in ``order``, whose plausible values would change the monthly figure by > SHARE."""
    catalog = catalog or default_catalog()
    values = {
        **Profile.model_validate({"task": "-"}).model_dump(),
        **{k: v for k, v in answers.items() if k in Profile.model_fields},
    }
    base = _monthly(values, catalog, today)
    shown = (
        strategy in ("fine_tuning", "rag_and_fine_tuning")
        or values["prompt_tokens"] >= SHOWN_MIN_PROMPT_TOKENS
        or (base or 0.0) >= SHOWN_MIN_MONTHLY_USD
    )
    if not shown or not base:
        return ()
    found = []
    for name in COST_FIELDS:
        if name in answers:
            continue
        default = max(1, values[name])
        swings = [_monthly({**values, name: value}, catalog, today) for value in (default // SPREAD, default * SPREAD)]
        if any(swing is not None and abs(swing - base) / base > SHARE for swing in swings):
            found.append(name)
    return tuple(name for name in order if name in found)
