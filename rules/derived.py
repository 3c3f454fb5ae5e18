"""The derived facts: computed from the profile and the catalog before any rule runs.

One registry (``DERIVED``) says, for each fact, which profile fields it reads, what it means, how it is
computed and, for a numeric fact, which values of its numeric inputs reach each side of a threshold a
rule sets on it. The engine, the rule loader, the questionnaire's reachability search and the generated
rules doc all read this registry, so a new derived fact is one entry here.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, get_args

from cachetools import LRUCache

from knowledge.loader import Catalog
from rules.economics import DAYS_PER_MONTH, TUNED_PROMPT_FLOOR, TUNED_PROMPT_FRACTION, monthly_saving_usd
from rules.facts import Change

# Usable share of examples by stated quality: unreviewed data counts half, like mixed data.
QUALITY_WEIGHT = {"high": 1.0, "mixed": 0.5, "unknown": 0.5, "low": 0.0}
CHANGING = frozenset({"monthly", "weekly", "daily", "realtime"})
BEHAVIOUR_FIELDS = ("custom_style", "strict_format", "domain_language", "narrow_task")
HUGE = 10**9  # the far end of an unbounded count: past every threshold a rule can set

Values = Mapping[str, Any]
GridPoints = Iterable[tuple[str, int]]


@dataclass(frozen=True)
class ProviderFacts:
    """What one provider allows on one day, from the catalog."""

    can_fine_tune: bool
    deadlines: str
    alternative: str


@dataclass
class Context:
    """The catalog and the day the facts are derived for, with what is computed once per (catalog, day)."""

    catalog: Catalog
    today: dt.date
    providers: dict[str, ProviderFacts] = field(default_factory=dict)
    savings: LRUCache[tuple[Any, ...], float] = field(default_factory=lambda: LRUCache(maxsize=10_000))

    def __post_init__(self) -> None:
        entries = self.catalog.providers
        self.providers = {
            name: ProviderFacts(
                can_fine_tune=entry.can_fine_tune(self.today),
                deadlines="; ".join(f"{d.date.isoformat()}: {d.what}" for d in entry.deprecations),
                alternative=entry.fine_tuning.alternative or "",
            )
            for name, entry in entries.items()
        }
        # An undecided team is pointed at providers whose tuning is not being wound down.
        tunable = [
            entry.display_name
            for name, entry in entries.items()
            if self.providers[name].can_fine_tune and entry.fine_tuning.status == "available"
        ]
        self.providers["undecided"] = ProviderFacts(bool(tunable), "", ", ".join(tunable))


@dataclass(frozen=True)
class DerivedFact:
    """One derived fact: its name, the profile fields it reads, its meaning (for people) and its computation."""

    name: str
    inputs: tuple[str, ...]
    meaning: str
    compute: Callable[[Values, Context], Any]
    # For a numeric fact: given a threshold a rule compares it with, values of numeric inputs that land on
    # both sides of it (the questionnaire's grid). None: the inputs' own grid is enough.
    grid: Callable[[float], GridPoints] | None = None


def _usable_examples(values: Values, _context: Context) -> int:
    return int(values["examples"] * QUALITY_WEIGHT[values["example_quality"]])


def _examples_around(threshold: float) -> GridPoints:
    # usable = floor(examples × weight): for each weight, the example counts just below, at and above the threshold.
    for weight in {w for w in QUALITY_WEIGHT.values() if w > 0}:
        edge = math.ceil(threshold / weight)
        for value in (edge - 1, edge, edge + 1):
            if value >= 0:
                yield "examples", value


def _monthly_saving(values: Values, context: Context) -> float:
    key = (values["provider"], values["model"], values["prompt_tokens"], values["requests_per_day"])
    saving = context.savings.get(key)
    if saving is None:
        saving = context.savings[key] = monthly_saving_usd(context.catalog, *key)
    return saving


def _saving_extremes(_threshold: float) -> GridPoints:
    # The saving is linear in traffic and, past the tuned-prompt floor, in prompt size: the extremes reach
    # every side of any dollar threshold, and the floor is where the tuned block stops shrinking.
    for value in (0, TUNED_PROMPT_FLOOR, HUGE):
        yield "prompt_tokens", value
    for value in (0, HUGE):
        yield "requests_per_day", value


def _provider(values: Values, context: Context) -> ProviderFacts:
    return context.providers[values["provider"]]


_WEIGHTS = ", ".join(f"{name} {weight:g}" for name, weight in QUALITY_WEIGHT.items())
_CHANGING = ", ".join(value for value in get_args(Change) if value in CHANGING)

DERIVED: tuple[DerivedFact, ...] = (
    DerivedFact(
        "usable_examples",
        ("examples", "example_quality"),
        f"`examples` × a weight by `example_quality` ({_WEIGHTS}), rounded down.",
        _usable_examples,
        grid=_examples_around,
    ),
    DerivedFact(
        "behaviour_signals",
        BEHAVIOUR_FIELDS,
        f"How many of {', '.join(f'`{name}`' for name in BEHAVIOUR_FIELDS)} are true.",
        lambda values, _context: sum(1 for name in BEHAVIOUR_FIELDS if values[name]),
    ),
    DerivedFact(
        "changing_knowledge",
        ("knowledge_change",),
        f"`knowledge_change` is one of {_CHANGING}.",
        lambda values, _context: values["knowledge_change"] in CHANGING,
    ),
    DerivedFact(
        "monthly_saving_usd",
        ("provider", "model", "prompt_tokens", "requests_per_day"),
        f"Dollars a month saved on the instruction block: `prompt_tokens` at the model's input price minus a tuned "
        f"block ({TUNED_PROMPT_FRACTION:.0%} of it, at least {TUNED_PROMPT_FLOOR} tokens) at its tuned input price, "
        f"× `requests_per_day` × {DAYS_PER_MONTH}. The model is `model` when the catalog lists it, else the "
        "provider's default; `undecided` is priced on Google; 0 where either price is missing.",
        _monthly_saving,
        grid=_saving_extremes,
    ),
    DerivedFact(
        "provider_can_fine_tune",
        ("provider",),
        "The provider supports tuning and no announced end date has passed; for `undecided`, "
        "some provider whose tuning is `available` exists.",
        lambda values, context: _provider(values, context).can_fine_tune,
    ),
    DerivedFact(
        "fine_tuning_deadlines",
        ("provider",),
        "The provider's catalog deprecations as `date: what; ...` (empty for `undecided`).",
        lambda values, context: _provider(values, context).deadlines,
    ),
    DerivedFact(
        "fine_tuning_alternative",
        ("provider",),
        "The catalog's suggested alternative to tuning with this provider; for `undecided`, "
        "the providers whose tuning is `available`.",
        lambda values, context: _provider(values, context).alternative,
    ),
)
DERIVED_BY_NAME: dict[str, DerivedFact] = {fact.name: fact for fact in DERIVED}
DERIVED_FACTS: tuple[str, ...] = tuple(DERIVED_BY_NAME)

_CONTEXTS: LRUCache[tuple[str, dt.date], Context] = LRUCache(maxsize=64)


def context_for(catalog: Catalog, today: dt.date) -> Context:
    """The derivation context of (catalog, day), built once: keyed by the catalog's content version, not its id."""
    key = (catalog.version, today)
    found = _CONTEXTS.get(key)
    if found is None:
        found = _CONTEXTS[key] = Context(catalog, today)
    return found


def derive_facts(values: Values, catalog: Catalog, today: dt.date) -> dict[str, Any]:
    """Profile values plus every derived fact."""
    context = context_for(catalog, today)
    facts = dict(values)
    for fact in DERIVED:
        facts[fact.name] = fact.compute(values, context)
    return facts
