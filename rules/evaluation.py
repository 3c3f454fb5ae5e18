"""One pass of the rules over a set of facts: the stages in order, evidence and blocks, the strategy.

Stages (see docs/rules.md):
1. signal       rules add evidence to the three levers: prompting, rag, fine_tuning;
2. readiness    is tuning wanted yet? (prompting not tried, or already good enough);
3. feasibility  can it be done? (enough usable data, a provider that tunes);
4. advice       flags and next steps that depend on the final strategy.
RAG is chosen when its evidence is positive; fine-tuning when its evidence is positive and no
rule blocked it. The two levers are independent axes ("what the model knows" vs "how it
behaves"), so both together give ``rag_and_fine_tuning``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from knowledge.loader import Catalog
from rules.derived import derive_facts
from rules.facts import Strategy
from rules.loading import CompiledRule, RuleSet
from rules.model import STAGES

PROMPTING_BASELINE = 1


@dataclass
class Run:
    """The outcome of one pass of the rules over a set of facts."""

    facts: dict[str, Any]
    fired: list[CompiledRule] = field(default_factory=list)
    scores: dict[str, int] = field(default_factory=dict)
    blocked: dict[str, list[str]] = field(default_factory=dict)
    strategy: Strategy = "prompting"


def run_rules(values: dict[str, Any], catalog: Catalog, ruleset: RuleSet, today: dt.date) -> Run:
    """Run every stage over ``values`` (a profile as a dict) and pick the strategy."""
    return evaluate(derive_facts(values, catalog, today), ruleset)


def evaluate(facts: dict[str, Any], ruleset: RuleSet, *, strategy_only: bool = False) -> Run:
    """Run the stages over derived ``facts`` (changed in place); ``strategy_only`` skips the advice stage."""
    run = Run(facts=facts)
    scores = {"prompting": PROMPTING_BASELINE, "rag": 0, "fine_tuning": 0}
    blocked: dict[str, list[str]] = {}
    fired_ids: set[str] = set()
    passes = ruleset.passes
    for stage in STAGES:
        if stage == "readiness":
            facts["prompting_score"], facts["rag_score"] = scores["prompting"], scores["rag"]
            facts["fine_tuning_score"] = scores["fine_tuning"]
        elif stage == "feasibility":
            facts["fine_tuning_indicated"] = scores["fine_tuning"] > 0 and "fine_tuning" not in blocked
            facts["rag_indicated"] = scores["rag"] > 0 and "rag" not in blocked
        elif stage == "advice":
            facts["fine_tuning_chosen"] = facts["fine_tuning_indicated"] and "fine_tuning" not in blocked
            facts["rag_chosen"] = facts["rag_indicated"] and "rag" not in blocked
            facts["strategy"] = choose_strategy(facts["rag_chosen"], facts["fine_tuning_chosen"])
            if strategy_only:
                break
        passes[stage](facts, fired_ids, run.fired, scores, blocked)  # each rule in order (ruleset.plan, generated)
    run.scores, run.blocked, run.strategy = scores, blocked, facts["strategy"]
    return run


def choose_strategy(rag: bool, fine_tuning: bool) -> Strategy:
    if rag and fine_tuning:
        return "rag_and_fine_tuning"
    if rag:
        return "rag"
    return "fine_tuning" if fine_tuning else "prompting"
