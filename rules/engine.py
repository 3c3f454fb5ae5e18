"""decide(profile, catalog) -> Verdict: run the rules stage by stage, then explain.

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

from cachetools import LRUCache

from knowledge.loader import Catalog
from rules import counterfactuals, explain
from rules.derived import derive_facts
from rules.facts import Lang, Profile, Strategy
from rules.loading import CompiledRule, RuleSet, default_rules
from rules.model import STAGES, Counterfactual, Verdict
from rules.validation import check_model

PROMPTING_BASELINE = 1
# Economics are shown when the instruction block is big or costs real money.
ECONOMICS_MIN_PROMPT_TOKENS = 1000
ECONOMICS_MIN_MONTHLY_USD = 100.0


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
            facts["strategy"] = _strategy(facts["rag_chosen"], facts["fine_tuning_chosen"])
            if strategy_only:
                break
        for item, predicate, rule_id, score, block in ruleset.plan[stage]:
            if not predicate(facts, fired_ids):
                continue
            fired_ids.add(rule_id)
            run.fired.append(item)
            for lever, points in score:
                scores[lever] += points
            for lever in block:
                blocked.setdefault(lever, []).append(rule_id)
    run.scores, run.blocked, run.strategy = scores, blocked, facts["strategy"]
    return run


def _strategy(rag: bool, fine_tuning: bool) -> Strategy:
    if rag and fine_tuning:
        return "rag_and_fine_tuning"
    if rag:
        return "rag"
    return "fine_tuning" if fine_tuning else "prompting"


def _strategy_scores(scores: dict[str, int], blocked: dict[str, list[str]]) -> dict[Strategy, int]:
    rag = scores["rag"] if "rag" not in blocked else 0
    tuning = scores["fine_tuning"] if "fine_tuning" not in blocked else 0
    return {
        "prompting": scores["prompting"],
        "rag": rag,
        "fine_tuning": tuning,
        "rag_and_fine_tuning": rag + tuning if rag > 0 and tuning > 0 else 0,
    }


WHATIF_CACHE_SIZE = 4096
_WHATIF_CACHE: LRUCache[tuple[Any, ...], list[Counterfactual]] = LRUCache(maxsize=WHATIF_CACHE_SIZE)


def _counterfactuals(
    values: dict[str, Any], strategy: Strategy, catalog: Catalog, rules: RuleSet, day: dt.date, lang: Lang
) -> list[Counterfactual]:
    """Counterfactuals, memoized on everything they depend on (the task text does not count)."""
    key = (rules.version, catalog.version, day, lang, *(v for k, v in values.items() if k != "task"))
    found = _WHATIF_CACHE.get(key)
    if found is None:

        def allowed(changed: dict[str, Any], outcome: Strategy) -> bool:
            # Moving to a provider is only a plan if that provider can do the work.
            tuned = outcome in ("fine_tuning", "rag_and_fine_tuning")
            moved = changed["provider"] != values["provider"]
            return not (tuned and moved) or bool(derive_facts(changed, catalog, day)["provider_can_fine_tune"])

        found = counterfactuals.search(values, strategy, lambda v: run_rules(v, catalog, rules, day).strategy, allowed, lang)
        _WHATIF_CACHE[key] = found
    return found


def decide(
    profile: Profile,
    catalog: Catalog,
    *,
    ruleset: RuleSet | None = None,
    today: dt.date | None = None,
    with_counterfactuals: bool = True,
    lang: Lang = "en",
) -> Verdict:
    """The strategy for ``profile``, with the rules that fired, flags, next steps, what-ifs, economics and where to tune.

    Raises ``ProfileError`` for a profile the catalog contradicts (a model of another provider).
    """
    rules = ruleset or default_rules()
    day = today or dt.date.today()
    check_model(profile, catalog)
    values = profile.model_dump()
    unanswered = frozenset(Profile.model_fields) - profile.model_fields_set
    run = run_rules(values, catalog, rules, day)
    facts = run.facts
    reasons, outweighed = explain.reasons(run.fired, facts, run.strategy, unanswered, lang)
    economics = explain.economics(values, facts, catalog, day, lang, unanswered)
    show_economics = (
        profile.prompt_tokens >= ECONOMICS_MIN_PROMPT_TOKENS
        or (economics.monthly_cost_today_usd or 0.0) >= ECONOMICS_MIN_MONTHLY_USD
        or run.strategy in ("fine_tuning", "rag_and_fine_tuning")
    )
    whatifs = _counterfactuals(values, run.strategy, catalog, rules, day, lang) if with_counterfactuals else []
    return Verdict(
        strategy=run.strategy,
        lang=lang,
        scores=_strategy_scores(run.scores, run.blocked),
        reasons=reasons,
        outweighed=outweighed,
        flags=explain.flags(run.fired, facts, lang),
        blocked=run.blocked,
        next_steps=explain.next_steps(run.fired, facts, lang),
        counterfactuals=whatifs,
        economics=economics if show_economics else None,
        tuning=explain.tuning_plan(facts, catalog, day, lang) if facts["fine_tuning_indicated"] else None,
        assumptions=explain.assumptions(values, unanswered, rules, show_economics, lang),
        rules_version=rules.version,
        catalog_as_of=catalog.as_of.isoformat(),
    )
