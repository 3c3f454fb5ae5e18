"""For each other strategy, the least-effort change a team could make that would select it.

Only changes a team can act on are tried (``CHANGES``): more or better data (never fewer examples, never
"un-review" them), trying a prompt (never un-trying one), building an evaluation set, moving to a provider
that can do the work, a shorter prompt, or a different requirement or volume. One change is tried before two,
less effort before more, nearer values before farther ones, so the first hit per strategy is the one shown.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from operator import attrgetter
from typing import Any

from rules.bounded import Bounded
from rules.facts import STRATEGIES, Lang, Strategy
from rules.model import Change, Counterfactual
from rules.texts import change_text, phrase, strategy_name

QUALITY_ORDER = ("low", "mixed", "high")
EFFORT_TRY = 1  # try a prompt, write an evaluation set
EFFORT_DATA_QUALITY = 2
EFFORT_MORE_DATA = 3
EFFORT_PROVIDER = 4
EFFORT_REQUIREMENT = 5
REQUIREMENTS = (
    "needs_external_knowledge",
    "live_data",
    "strict_format",
    "custom_style",
    "domain_language",
    "narrow_task",
    "personalization",
    "latency_sensitive",
    "own_infrastructure",
)
NUMERIC: dict[str, tuple[int, ...]] = {
    "examples": (0, 100, 200, 1000, 5000),
    "prompt_tokens": (300, 2000, 5000, 10000),
    "requests_per_day": (100, 10_000, 1_000_000),
    "input_tokens": (50, 200, 1000),
    "output_tokens": (20, 200, 1000),
}
PROVIDERS = ("google", "open_weights", "openai", "anthropic")


@dataclass(frozen=True)
class Candidate:
    effort: int
    distance: float
    field: str
    value: Any

    @property
    def rank(self) -> tuple[int, float]:
        return (self.effort, self.distance)


def is_actionable(field: str, before: Any, after: Any) -> bool:
    """Whether a team could make this change (the rule every shown what-if obeys)."""
    if before == after:
        return False
    if field == "examples":
        return bool(after > before)
    if field == "example_quality":
        return after in QUALITY_ORDER and (
            before not in QUALITY_ORDER or QUALITY_ORDER.index(after) > QUALITY_ORDER.index(before)
        )
    if field == "prompting_status":
        return bool(before == "not_tried")
    if field == "has_eval_set":
        return after is True
    if field == "provider":
        return after in PROVIDERS
    if field == "knowledge_size":
        return bool(after != "unknown")
    return field in REQUIREMENTS or field in NUMERIC


def _log_distance(a: int, b: int) -> float:
    return abs(math.log10(a + 1) - math.log10(b + 1))


# The candidates of one field depend only on its value today: kept per (field, value), shared by every profile.
CANDIDATE_CACHE_LIMIT = 4096
SHOWN_CACHE_LIMIT = 1024
_FIELD_CANDIDATES: Bounded[tuple[str, Any], tuple[Candidate, ...]] = Bounded(CANDIDATE_CACHE_LIMIT)
_by_rank = attrgetter("effort", "distance")


def _field_candidates(field: str, before: Any) -> tuple[Candidate, ...]:
    """Every actionable change of ``field`` from ``before``, in the order ``candidates`` lists them before sorting."""
    options: list[tuple[int, float, Any]]
    if field == "prompting_status":
        options = [(EFFORT_TRY, 0.0, value) for value in ("insufficient", "works")]
    elif field == "has_eval_set":
        options = [(EFFORT_TRY, 0.0, True)]
    elif field == "example_quality":
        options = [(EFFORT_DATA_QUALITY, float(index), quality) for index, quality in enumerate(("high", "mixed"))]
    elif field == "examples":
        options = [(EFFORT_MORE_DATA, _log_distance(before, count), count) for count in NUMERIC["examples"]]
    elif field == "prompt_tokens":  # a shorter prompt is work; a longer one is not a plan
        options = [(EFFORT_MORE_DATA, _log_distance(before, tokens), tokens) for tokens in NUMERIC[field] if tokens < before]
    elif field == "provider":
        options = [(EFFORT_PROVIDER, index / 10, provider) for index, provider in enumerate(PROVIDERS)]
    elif field in REQUIREMENTS:
        options = [(EFFORT_REQUIREMENT, REQUIREMENTS.index(field) / 100, not before)]
    elif field == "knowledge_size":
        options = [(EFFORT_REQUIREMENT, 0.5, value) for value in ("small", "large")]
    else:  # requests_per_day, input_tokens, output_tokens
        options = [(EFFORT_REQUIREMENT, 1 + _log_distance(before, amount), amount) for amount in NUMERIC[field]]
    return tuple(
        Candidate(effort, distance, field, value) for effort, distance, value in options if is_actionable(field, before, value)
    )


# The fields in the order their candidates are listed (ties in rank keep this order).
CANDIDATE_FIELDS = (
    "prompting_status",
    "has_eval_set",
    "example_quality",
    "examples",
    "prompt_tokens",
    "provider",
    *REQUIREMENTS,
    "knowledge_size",
    "requests_per_day",
    "input_tokens",
    "output_tokens",
)


def field_candidates(field: str, before: Any) -> tuple[Candidate, ...]:
    """Every actionable change of ``field`` from ``before``, in listing order (kept per field and value)."""
    key = (field, before)
    listed = _FIELD_CANDIDATES.get(key)
    if listed is None:
        listed = _FIELD_CANDIDATES.put(key, _field_candidates(field, before))
    return listed


def candidates(values: dict[str, Any]) -> list[Candidate]:
    """Every actionable single change, least effort and nearest first (ties in the order of ``CANDIDATE_FIELDS``)."""
    found: list[Candidate] = []
    for field in CANDIDATE_FIELDS:
        found.extend(field_candidates(field, values[field]))
    found.sort(key=_by_rank)
    return found


def _summary(changes: list[Change], strategy: Strategy, lang: Lang) -> str:
    joined = phrase("and", lang).join(change.label for change in changes)
    text = phrase("whatif", lang, changes=joined, strategy=strategy_name(strategy, lang))
    return text[:1].upper() + text[1:]


def _changes(values: dict[str, Any], picked: tuple[Candidate, ...], lang: Lang) -> list[Change]:
    return [
        Change(field=c.field, from_value=values[c.field], to_value=c.value, label=change_text(c.field, c.value, lang))
        for c in picked
    ]


def search(
    values: dict[str, Any],
    current: Strategy,
    strategy_of: Callable[[dict[str, Any]], Strategy],
    allowed: Callable[[dict[str, Any], Strategy], bool] = lambda _values, _strategy: True,
    lang: Lang = "en",
) -> list[Counterfactual]:
    """One counterfactual per other strategy, least effort first; ``reachable`` is false when none is found.

    ``allowed(new_values, strategy)`` vetoes a hit the team could not carry out (a provider that cannot do it).
    """
    wanted = [s for s in STRATEGIES if s != current]
    found: dict[Strategy, tuple[Candidate, ...]] = {}
    singles = candidates(values)

    def consider(picked: tuple[Candidate, ...]) -> None:
        changed = {**values, **{c.field: c.value for c in picked}}
        outcome = strategy_of(changed)
        if outcome in wanted and outcome not in found and allowed(changed, outcome):
            found[outcome] = picked

    for single in singles:
        consider((single,))
        if len(found) == len(wanted):
            break
    if len(found) < len(wanted):
        pairs = sorted(
            ((a, b) for a, b in combinations(singles, 2) if a.field != b.field),
            key=lambda pair: (pair[0].effort + pair[1].effort, pair[0].distance + pair[1].distance),
        )
        for pair in pairs:
            consider(pair)
            if len(found) == len(wanted):
                break
    return result(values, wanted, found, lang)


# A shown counterfactual depends on the strategy, the changes, the values they change from and the language: kept.
_SHOWN: Bounded[tuple[Any, ...], Counterfactual] = Bounded(SHOWN_CACHE_LIMIT)


def _shown(strategy: Strategy, picked: tuple[Candidate, ...] | None, values: dict[str, Any], lang: Lang) -> Counterfactual:
    key = (strategy, lang, picked, *(values[c.field] for c in picked or ()))
    found = _SHOWN.get(key)
    if found is not None:
        return found
    if picked is None:
        summary = phrase("whatif_none", lang, strategy=strategy_name(strategy, lang))
        found = Counterfactual(strategy=strategy, reachable=False, changes=[], summary=summary)
    else:
        changes = _changes(values, picked, lang)
        effort = sum(c.effort for c in picked)
        found = Counterfactual(
            strategy=strategy, reachable=True, changes=changes, summary=_summary(changes, strategy, lang), effort=effort
        )
    return _SHOWN.put(key, found)


def result(
    values: dict[str, Any], wanted: list[Strategy], found: dict[Strategy, tuple[Candidate, ...]], lang: Lang
) -> list[Counterfactual]:
    """The counterfactuals shown: one per wanted strategy, least effort first, unreachable ones last."""
    shown = [_shown(strategy, found.get(strategy), values, lang) for strategy in wanted]
    shown.sort(key=lambda c: (not c.reachable, c.effort))
    return shown
