"""Where tuning can happen: the chosen provider if it can tune today and keep serving the result, else the best alternative.

Feasibility is its own answer: a profile that calls for fine-tuning keeps that strategy when its provider
cannot tune, and the verdict names where to tune instead (``TuningTarget``), with the reason and the days left
on the chosen provider's window. A provider is viable for tuning on a day when:

- it accepts new tuning jobs (no announced cut-off has passed) and has a model tunable that day;
- the tuned copy would keep serving for at least ``MIN_SERVING_DAYS`` (a model whose fine-tunes shut down
  next month is not worth a tuning run);
- no organisation restriction in force excludes the team (OpenAI closed tuning to new organisations and to
  inactive ones; unless the team says its organisation can still tune, it is assumed it cannot).

The alternative: an open-weight model when data must stay on the team's infrastructure; otherwise Gemini on
Vertex AI when it is viable, else an open-weight model (which never closes).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

from knowledge.loader import Catalog, ModelEntry

MIN_SERVING_DAYS = 90
WINDOW_WARNING_DAYS = 90
NO_END = 10**6  # "days left" when nothing ends
ALTERNATIVES: tuple[str, ...] = ("google", "open_weights")
SELF_HOSTED = "open_weights"

Reason = Literal["chosen", "undecided", "own_infrastructure", "cannot_tune", "window_closing", "organisation", "model"]


@dataclass(frozen=True)
class TuningTarget:
    """Where to tune, what, and why there."""

    provider: str
    model: str | None
    elsewhere: bool  # a provider other than the one the team chose (``undecided`` counts as not chosen)
    reason: Reason  # why this provider: chosen, or why the chosen one was passed over
    days_left: int  # days until the chosen provider's tuning or the tuned model's serving ends; NO_END if never


def _tuned_serving_end(model: ModelEntry) -> dt.date | None:
    life = model.lifecycle
    return life.shutdown if life.fine_tunes_shut_down is not False else None


def _window(catalog: Catalog, provider: str, model: str | None, today: dt.date) -> tuple[ModelEntry | None, int]:
    """The model to tune with ``provider`` on ``today`` and the days until its tuning or tuned serving ends."""
    entry = catalog.providers.get(provider)
    if entry is None or not entry.fine_tuning.supported:
        return None, 0
    requested = entry.model(model, today) if model else None
    chosen = requested if requested is not None and requested.tunable_on(today) else entry.default_for("tuning", today)
    if chosen is None:
        return None, 0
    ends = [end for end in (entry.fine_tuning_end(), _tuned_serving_end(chosen)) if end is not None]
    tuning = chosen.lifecycle.tuning
    if tuning is not None and tuning.available_until is not None:
        ends.append(tuning.available_until)
    return chosen, min(((end - today).days for end in ends), default=NO_END)


def _restricted(catalog: Catalog, provider: str, org_can_tune: str, today: dt.date) -> bool:
    """An organisation restriction in force (not a full cut-off) excludes teams that do not say they can still tune."""
    entry = catalog.providers.get(provider)
    if entry is None or org_can_tune == "yes":
        return False
    return any(d.date <= today and not d.ends_fine_tuning for d in entry.restrictions if d.id.startswith(f"{provider}-ft-"))


def viable(catalog: Catalog, provider: str, model: str | None, org_can_tune: str, today: dt.date) -> tuple[bool, Reason, int]:
    """(can tune there today and keep the result, why not, days left on its window)."""
    found, days_left = _window(catalog, provider, model, today)
    if found is None:
        return False, "cannot_tune", days_left
    if provider == "openai" and _restricted(catalog, provider, org_can_tune, today):
        return False, "organisation", days_left
    if days_left < MIN_SERVING_DAYS:
        return False, "window_closing", days_left
    return True, "chosen", days_left


def tuning_target(
    catalog: Catalog, provider: str, model: str | None, own_infrastructure: bool, org_can_tune: str, today: dt.date
) -> TuningTarget:
    """Where the team should tune on ``today``."""
    if own_infrastructure and provider != SELF_HOSTED:
        found, _ = _window(catalog, SELF_HOSTED, None, today)
        _, _, days = viable(catalog, provider, model, org_can_tune, today) if provider != "undecided" else (False, "", NO_END)
        return TuningTarget(SELF_HOSTED, found.id if found else None, provider != "undecided", "own_infrastructure", days)
    if provider != "undecided":
        ok, why, days = viable(catalog, provider, model, org_can_tune, today)
        if ok:
            found, _ = _window(catalog, provider, model, today)
            return TuningTarget(provider, found.id if found else model, False, "chosen", days)
    else:
        why, days = "undecided", NO_END
    for alternative in ALTERNATIVES:
        if alternative != provider and viable(catalog, alternative, None, "yes", today)[0]:
            found, _ = _window(catalog, alternative, None, today)
            return TuningTarget(alternative, found.id if found else None, provider != "undecided", why, days)
    found, _ = _window(catalog, SELF_HOSTED, None, today)
    return TuningTarget(SELF_HOSTED, found.id if found else None, provider != "undecided", why, days)
