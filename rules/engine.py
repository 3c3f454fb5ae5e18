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
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from knowledge.loader import Catalog
from rules import counterfactuals
from rules.economics import estimate, monthly_saving_usd
from rules.facts import Profile, Strategy
from rules.loading import CompiledRule, RuleSet, default_rules
from rules.model import STAGES, Counterfactual, Flag, Reason, Verdict

# Usable share of examples by stated quality: unreviewed data counts half, like mixed data.
QUALITY_WEIGHT = {"high": 1.0, "mixed": 0.5, "unknown": 0.5, "low": 0.0}
CHANGING = frozenset({"monthly", "weekly", "daily", "realtime"})
BEHAVIOUR_FIELDS = ("custom_style", "strict_format", "domain_language", "narrow_task")
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


@dataclass(frozen=True)
class _ProviderFacts:
    can_fine_tune: bool
    deadlines: str
    alternative: str
    savings: dict[tuple[str | None, int, int], float] = field(default_factory=dict, compare=False)


_PROVIDER_FACTS: dict[tuple[int, dt.date], tuple[Catalog, dict[str, _ProviderFacts]]] = {}


def _provider_facts(catalog: Catalog, today: dt.date) -> dict[str, _ProviderFacts]:
    """What each provider allows on ``today``; computed once per catalog and day."""
    key = (id(catalog), today)
    cached = _PROVIDER_FACTS.get(key)
    if cached is not None and cached[0] is catalog:
        return cached[1]
    facts = {
        name: _ProviderFacts(
            can_fine_tune=entry.can_fine_tune(today),
            deadlines="; ".join(f"{d.date.isoformat()}: {d.what}" for d in entry.deprecations),
            alternative=entry.fine_tuning.alternative or "",
        )
        for name, entry in catalog.providers.items()
    }
    # An undecided team is pointed at providers whose tuning is not being wound down.
    tunable = [
        entry.display_name
        for name, entry in catalog.providers.items()
        if facts[name].can_fine_tune and entry.fine_tuning.status == "available"
    ]
    facts["undecided"] = _ProviderFacts(bool(tunable), "", ", ".join(tunable))
    if len(_PROVIDER_FACTS) > 64:
        _PROVIDER_FACTS.clear()
    _PROVIDER_FACTS[key] = (catalog, facts)
    return facts


def derive_facts(values: dict[str, Any], catalog: Catalog, today: dt.date) -> dict[str, Any]:
    """Profile values plus the facts computed from them and the catalog."""
    facts = dict(values)
    facts["usable_examples"] = int(values["examples"] * QUALITY_WEIGHT[values["example_quality"]])
    facts["behaviour_signals"] = sum(1 for name in BEHAVIOUR_FIELDS if values[name])
    facts["changing_knowledge"] = values["knowledge_change"] in CHANGING
    provider = _provider_facts(catalog, today)[values["provider"]]
    # Memoized: the counterfactual search asks for the same few prompt sizes hundreds of times.
    key = (values["model"], values["prompt_tokens"], values["requests_per_day"])
    saving = provider.savings.get(key)
    if saving is None:
        saving = monthly_saving_usd(catalog, values["provider"], *key)
        if len(provider.savings) < 10_000:
            provider.savings[key] = saving
    facts["monthly_saving_usd"] = saving
    facts["provider_can_fine_tune"] = provider.can_fine_tune
    facts["fine_tuning_deadlines"] = provider.deadlines
    facts["fine_tuning_alternative"] = provider.alternative
    return facts


def run_rules(values: dict[str, Any], catalog: Catalog, ruleset: RuleSet, today: dt.date) -> Run:
    """Run every stage over ``values`` (a profile as a dict) and pick the strategy."""
    run = Run(facts=derive_facts(values, catalog, today))
    facts = run.facts
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


class _Fill(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _render(text: str, facts: dict[str, Any]) -> str:
    return text.format_map(_Fill(facts)).strip()


def _strategy_scores(scores: dict[str, int], blocked: dict[str, list[str]]) -> dict[Strategy, int]:
    rag = scores["rag"] if "rag" not in blocked else 0
    tuning = scores["fine_tuning"] if "fine_tuning" not in blocked else 0
    return {
        "prompting": scores["prompting"],
        "rag": rag,
        "fine_tuning": tuning,
        "rag_and_fine_tuning": rag + tuning if rag > 0 and tuning > 0 else 0,
    }


_WHATIF_CACHE: OrderedDict[tuple[Any, ...], tuple[Catalog, list[Counterfactual]]] = OrderedDict()
WHATIF_CACHE_SIZE = 4096


def _counterfactuals(
    values: dict[str, Any], strategy: Strategy, catalog: Catalog, rules: RuleSet, day: dt.date
) -> list[Counterfactual]:
    """Counterfactuals, memoized on everything they depend on (the task text does not count)."""
    key = (rules.version, id(catalog), catalog.as_of, day, *(v for k, v in values.items() if k != "task"))
    cached = _WHATIF_CACHE.get(key)
    if cached is not None and cached[0] is catalog:
        _WHATIF_CACHE.move_to_end(key)
        return cached[1]
    found = counterfactuals.search(values, strategy, lambda v: run_rules(v, catalog, rules, day).strategy)
    _WHATIF_CACHE[key] = (catalog, found)
    if len(_WHATIF_CACHE) > WHATIF_CACHE_SIZE:
        _WHATIF_CACHE.popitem(last=False)
    return found


def decide(
    profile: Profile,
    catalog: Catalog,
    *,
    ruleset: RuleSet | None = None,
    today: dt.date | None = None,
    with_counterfactuals: bool = True,
) -> Verdict:
    """The strategy for ``profile``, with the rules that fired, flags, next steps and what-ifs."""
    rules = ruleset or default_rules()
    day = today or dt.date.today()
    values = profile.model_dump()
    run = run_rules(values, catalog, rules, day)
    facts = run.facts
    reasons = [
        Reason(
            rule=item.rule.id,
            title=item.rule.title,
            because=_render(item.rule.because, facts),
            guide=item.rule.guide,
            stage=item.rule.stage,
        )
        for item in run.fired
    ]
    flags = [
        Flag(code=item.rule.then.flag.code, message=_render(item.rule.then.flag.message, facts), rule=item.rule.id)
        for item in run.fired
        if item.rule.then.flag is not None
    ]
    steps = sorted(
        (
            (step.order, index, _render(step.text, facts))
            for index, item in enumerate(run.fired)
            for step in item.rule.then.next_steps
        ),
    )
    next_steps = list(dict.fromkeys(text for _, _, text in steps))
    economics = estimate(profile, catalog)
    show_economics = (
        profile.prompt_tokens >= ECONOMICS_MIN_PROMPT_TOKENS
        or (economics.monthly_cost_today_usd or 0.0) >= ECONOMICS_MIN_MONTHLY_USD
    )
    whatifs = _counterfactuals(values, run.strategy, catalog, rules, day) if with_counterfactuals else []
    return Verdict(
        strategy=run.strategy,
        scores=_strategy_scores(run.scores, run.blocked),
        reasons=reasons,
        flags=flags,
        blocked=run.blocked,
        next_steps=next_steps,
        counterfactuals=whatifs,
        economics=economics if show_economics else None,
        rules_version=rules.version,
        catalog_as_of=catalog.as_of.isoformat(),
    )
