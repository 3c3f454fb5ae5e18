"""For each other strategy, the smallest change of one or two facts that would select it.

Candidates per fact are ordered by closeness to today's value, so the first hit is the
smallest change: one fact before two, and nearer values before farther ones.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from itertools import combinations
from typing import Any

from rules.facts import STRATEGIES, Strategy
from rules.model import Change, Counterfactual

ORDERED: dict[str, tuple[Any, ...]] = {
    "example_quality": ("low", "unknown", "mixed", "high"),
    "knowledge_change": ("static", "yearly", "monthly", "weekly", "daily", "realtime"),
    "prompting_status": ("not_tried", "insufficient", "works"),
}
UNORDERED: dict[str, tuple[Any, ...]] = {
    "provider": ("google", "open_weights", "openai", "anthropic", "undecided"),
    "needs_external_knowledge": (True, False),
    "strict_format": (True, False),
    "custom_style": (True, False),
    "domain_language": (True, False),
    "narrow_task": (True, False),
    "personalization": (True, False),
}
NUMERIC: dict[str, tuple[int, ...]] = {
    "examples": (0, 100, 200, 1000, 5000),
    "prompt_tokens": (300, 2000, 5000, 10000),
    "requests_per_day": (100, 10_000, 1_000_000),
}

Candidate = tuple[float, str, Any]


def _candidates(values: dict[str, Any]) -> list[Candidate]:
    found: list[Candidate] = []
    for name, options in ORDERED.items():
        here = options.index(values[name])
        found += [(float(abs(i - here)), name, v) for i, v in enumerate(options) if v != values[name]]
    for name, options in UNORDERED.items():
        found += [(1.0 + i / 10, name, v) for i, v in enumerate(options) if v != values[name]]
    for name, numbers in NUMERIC.items():
        magnitude = math.log10(values[name] + 1)
        found += [(abs(math.log10(v + 1) - magnitude), name, v) for v in numbers if v != values[name]]
    found.sort(key=lambda item: item[0])
    return found


def _describe(values: dict[str, Any], changes: list[Change], strategy: Strategy) -> str:
    parts = [f"{c.field} were {_show(c.to_value)} (now {_show(values[c.field])})" for c in changes]
    return f"If {' and '.join(parts)}, the advisor would choose {strategy}."


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def search(values: dict[str, Any], current: Strategy, strategy_of: Callable[[dict[str, Any]], Strategy]) -> list[Counterfactual]:
    """One counterfactual per other strategy; ``reachable`` is false when no one or two changes reach it."""
    wanted = [s for s in STRATEGIES if s != current]
    found: dict[Strategy, list[Change]] = {}
    singles = _candidates(values)
    for _, name, value in singles:
        outcome = strategy_of({**values, name: value})
        if outcome in wanted and outcome not in found:
            found[outcome] = [Change(field=name, from_value=values[name], to_value=value)]
        if len(found) == len(wanted):
            break
    if len(found) < len(wanted):
        _search_pairs(values, singles, wanted, found, strategy_of)
    result = []
    for strategy in wanted:
        changes = found.get(strategy, [])
        summary = (
            _describe(values, changes, strategy)
            if changes
            else f"No change of one or two facts would make {strategy} the right choice."
        )
        result.append(Counterfactual(strategy=strategy, reachable=bool(changes), changes=changes, summary=summary))
    return result


def _search_pairs(
    values: dict[str, Any],
    singles: list[Candidate],
    wanted: list[Strategy],
    found: dict[Strategy, list[Change]],
    strategy_of: Callable[[dict[str, Any]], Strategy],
) -> None:
    pairs = sorted(
        ((a[0] + b[0], a, b) for a, b in combinations(singles, 2) if a[1] != b[1]),
        key=lambda item: item[0],
    )
    for _, (_, name_a, value_a), (_, name_b, value_b) in pairs:
        outcome = strategy_of({**values, name_a: value_a, name_b: value_b})
        if outcome in wanted and outcome not in found:
            found[outcome] = [
                Change(field=name_a, from_value=values[name_a], to_value=value_a),
                Change(field=name_b, from_value=values[name_b], to_value=value_b),
            ]
            if len(found) == len(wanted):
                return
