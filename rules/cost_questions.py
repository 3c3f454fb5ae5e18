"""Once the strategy is settled: which unanswered fields still change where to tune or the economics shown.

The strategy's exact early stop (``rules.reachability``) skips fields that cannot change the strategy; a few of
those still change the advice a team acts on: for a tuning verdict, the provider and whether data must stay
in-house decide where to tune (and the OpenAI organisation question whether OpenAI can be that place); and the
traffic numbers scale the monthly figures. These are asked rather than assumed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from knowledge.loader import Catalog, default_catalog
from rules.context import traffic_of
from rules.economics import CACHE_MIN_TOKENS, cost_today
from rules.facts import Profile, Strategy
from rules.feasibility import viable

COST_FIELDS = ("requests_per_day", "prompt_tokens", "input_tokens", "output_tokens")
# Asked when a plausible answer (a quarter or four times the default) would move the monthly cost by more than this.
SHARE = 0.25
SPREAD = 4
SHOWN_MIN_PROMPT_TOKENS = CACHE_MIN_TOKENS
SHOWN_MIN_MONTHLY_USD = 100.0


def _values(answers: Mapping[str, Any]) -> dict[str, Any]:
    given = {k: v for k, v in answers.items() if k in Profile.model_fields}
    return {**Profile.model_validate({"task": "-"}).model_dump(), **given}


def tuning_questions(
    answers: Mapping[str, Any], order: Sequence[str], strategy: Strategy, today: dt.date, catalog: Catalog | None = None
) -> tuple[str, ...]:
    """For a tuning verdict, the unanswered fields that would change where to tune."""
    if strategy not in ("fine_tuning", "rag_and_fine_tuning"):
        return ()
    catalog = catalog or default_catalog()
    values = {
        **Profile.model_validate({"task": "-"}).model_dump(),
        **{k: v for k, v in answers.items() if k in Profile.model_fields},
    }
    found = [name for name in ("provider", "own_infrastructure") if name not in answers]
    if values["provider"] == "openai" and "openai_can_tune" not in answers:
        ok = {viable(catalog, "openai", values["model"], org, today)[0] for org in ("yes", "no")}
        if len(ok) > 1:
            found.append("openai_can_tune")
    return tuple(name for name in order if name in found)


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
