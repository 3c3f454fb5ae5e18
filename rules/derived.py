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
from dataclasses import dataclass
from typing import Any, get_args

from knowledge.loader import Catalog
from rules.context import SAVING_INPUTS, Context, context_for
from rules.economics import (
    CACHE_MIN_TOKENS,
    DAYS_PER_MONTH,
    TUNED_PROMPT_FLOOR,
    TUNED_PROMPT_FRACTION,
)
from rules.facts import Change
from rules.feasibility import NO_END

# Usable share of examples by stated quality: unreviewed data counts half, like mixed data.
QUALITY_WEIGHT = {"high": 1.0, "mixed": 0.5, "unknown": 0.5, "low": 0.0}
CHANGING = frozenset({"monthly", "weekly", "daily", "realtime"})
BEHAVIOUR_FIELDS = ("custom_style", "strict_format", "domain_language", "narrow_task")
HUGE = 10**9  # the far end of an unbounded count: past every threshold a rule can set

Values = Mapping[str, Any]
GridPoints = Iterable[tuple[str, int]]


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
    # For a numeric fact monotone in one numeric input while the others stay (either direction): that input, and the
    # magnitude the fact's float rounding is relative to. The what-if search keeps its work across that input's values
    # where no test of the fact can answer differently (rules/whatif_traffic.py, ADR 0037).
    monotone_in: str | None = None
    scale: Callable[[Values, Context], float] | None = None


def _usable_examples(values: Values, _context: Context) -> int:
    return int(values["examples"] * QUALITY_WEIGHT[values["example_quality"]])


def _examples_around(threshold: float) -> GridPoints:
    # usable = floor(examples × weight): for each weight, the example counts just below, at and above the threshold.
    for weight in {w for w in QUALITY_WEIGHT.values() if w > 0}:
        edge = math.ceil(threshold / weight)
        for value in (edge - 1, edge, edge + 1):
            if value >= 0:
                yield "examples", value


def _saving_extremes(_threshold: float) -> GridPoints:
    # The saving is linear in traffic, in the user's input and output and, between its kinks, in prompt size: the
    # extremes reach every side of any dollar threshold. The kinks are the tuned-prompt floor (the tuned block stops
    # shrinking) and the cache minimum (today's block starts being cached).
    floor_edge = round(TUNED_PROMPT_FLOOR / TUNED_PROMPT_FRACTION)
    for value in (0, TUNED_PROMPT_FLOOR, floor_edge, CACHE_MIN_TOKENS - 1, CACHE_MIN_TOKENS, HUGE):
        yield "prompt_tokens", value
    for name in ("requests_per_day", "input_tokens", "output_tokens"):
        for value in (0, HUGE):
            yield name, value


_WEIGHTS = ", ".join(f"{name} {weight:g}" for name, weight in QUALITY_WEIGHT.items())
_CHANGING = ", ".join(value for value in get_args(Change) if value in CHANGING)


def _knowledge_in_prompt(values: Values) -> bool:
    # A working prompt for a knowledge task already carries what it needs, so unknown size counts as "fits".
    size = values["knowledge_size"]
    return bool(values["needs_external_knowledge"]) and (
        size == "small" or (size == "unknown" and values["prompting_status"] == "works")
    )


def _replacement(values: Values, context: Context) -> str:
    bundle = context.bundle(values)
    for entry in (bundle.named, bundle.serving):
        if entry is not None and entry.replacement:
            return entry.replacement
    return bundle.serving.id if bundle.serving is not None else "—"


def _serving_days_left(values: Values, context: Context) -> int:
    serving = context.bundle(values).serving
    days = serving.days_until_shutdown(context.today) if serving is not None else None
    return NO_END if days is None else days


_KNOWLEDGE = ("needs_external_knowledge", "knowledge_size", "prompting_status")
_TARGET = ("provider", "model", "own_infrastructure", "openai_can_tune")
_CHOSEN = ("provider", "model", "openai_can_tune")

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
        ("needs_external_knowledge", "knowledge_change"),
        f"Answers need outside facts and `knowledge_change` is one of {_CHANGING} (how often facts change only "
        "matters for facts the model needs from outside).",
        lambda values, _context: bool(values["needs_external_knowledge"]) and values["knowledge_change"] in CHANGING,
    ),
    DerivedFact(
        "knowledge_in_prompt",
        _KNOWLEDGE,
        "Answers need outside facts and they fit in one (cached) prompt: `knowledge_size` is small, or unknown while a "
        "prompt already works.",
        lambda values, _context: _knowledge_in_prompt(values),
    ),
    DerivedFact(
        "knowledge_needs_index",
        _KNOWLEDGE,
        "Answers need outside facts that do not fit in one prompt (large, or unknown with no working prompt): "
        "they must be searched.",
        lambda values, _context: bool(values["needs_external_knowledge"]) and not _knowledge_in_prompt(values),
    ),
    DerivedFact(
        "change_without_knowledge",
        ("needs_external_knowledge", "knowledge_change"),
        "The facts are said to change, yet answers need no outside facts: the two answers contradict each other.",
        lambda values, _context: not values["needs_external_knowledge"] and values["knowledge_change"] != "static",
    ),
    DerivedFact(
        "monthly_saving_usd",
        SAVING_INPUTS,
        "Dollars a month saved by serving the same traffic from the tuned model where tuning would happen "
        f"(`tuning_provider`) with a shorter block ({TUNED_PROMPT_FRACTION:.0%} of it, at least {TUNED_PROMPT_FLOOR} "
        "tokens), against today's model: today's block at the cached-input price for the requests that hit the "
        f"prompt cache (blocks of {CACHE_MIN_TOKENS}+ tokens), the tuned rates on every token (block, user input, "
        f"output); × `requests_per_day` × {DAYS_PER_MONTH}. Negative when tuning costs more; 0 when a side has no price "
        "(see `saving_known`).",
        lambda values, context: context.saving(values) or 0.0,
        grid=_saving_extremes,
        # Linear in the requests (each side is tokens x requests x rates); self-hosted, each side is the larger of a
        # month of one GPU and the GPU-hours the tokens need, and the tuned block is never longer: never decreasing.
        monotone_in="requests_per_day",
        scale=lambda values, context: context.saving_scale(values),
    ),
    DerivedFact(
        "saving_known",
        SAVING_INPUTS,
        "Both sides of `monthly_saving_usd` have catalog prices.",
        lambda values, context: context.saving(values) is not None,
    ),
    DerivedFact(
        "provider_can_fine_tune",
        _CHOSEN,
        "The chosen provider accepts new tuning jobs today, its tuned model keeps serving for 90+ days, and no "
        "organisation restriction in force excludes the team (true for `undecided`: some provider can).",
        lambda values, context: context.bundle(values).viable,
    ),
    DerivedFact(
        "tuning_days_left",
        _CHOSEN,
        "Days until the chosen provider's tuning or its tuned model's serving ends (10⁶ when nothing ends).",
        lambda values, context: context.bundle(values).days_left,
    ),
    DerivedFact(
        "serving_model",
        ("provider", "model"),
        "The model that serves today's prompt: `model` when the provider lists it (its replacement once it is shut down), "
        "else the provider's newest prompting model.",
        lambda values, context: context.bundle(values).serving_id,
    ),
    DerivedFact(
        "serving_days_left",
        ("provider", "model"),
        "Days until `serving_model` shuts down (10⁶ when no date is announced).",
        _serving_days_left,
    ),
    DerivedFact(
        "model_retired",
        ("provider", "model"),
        "`model` is a model of the provider that has already been shut down.",
        lambda values, context: context.bundle(values).retired,
    ),
    DerivedFact(
        "model_replacement",
        ("provider", "model"),
        "The catalog's replacement for `model` (or for `serving_model`).",
        _replacement,
    ),
    DerivedFact(
        "tuning_window_end",
        _CHOSEN,
        "The date `tuning_days_left` counts to (ISO), or an empty string when nothing ends.",
        lambda values, context: context.bundle(values).window_end,
    ),
    DerivedFact(
        "tuning_provider",
        _TARGET,
        "Where to tune: the chosen provider when it can, else open weights when data must stay in-house, "
        "else Gemini on Vertex AI when it can, else open weights.",
        lambda values, context: context.bundle(values).target.provider,
    ),
    DerivedFact(
        "tuning_elsewhere",
        _TARGET,
        "`tuning_provider` is not the provider the team chose.",
        lambda values, context: context.bundle(values).target.elsewhere,
    ),
)
DERIVED_BY_NAME: dict[str, DerivedFact] = {fact.name: fact for fact in DERIVED}
DERIVED_FACTS: tuple[str, ...] = tuple(DERIVED_BY_NAME)


def derive_facts(values: Values, catalog: Catalog, today: dt.date) -> dict[str, Any]:
    """Profile values plus every derived fact."""
    context = context_for(catalog, today)
    facts = dict(values)
    for fact in DERIVED:
        facts[fact.name] = fact.compute(values, context)
    return facts
