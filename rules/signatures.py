"""The strategy as a function of a few atomic tests: groups of profile fields, their signatures, one shared memo.

Only rules that can move the strategy count (``effective_rules``): a rule before the advice stage that scores or
blocks rag or fine-tuning, or whose firing or score such a rule reads. Those rules see a profile only through
atomic tests (``examples > 0``, ``usable_examples < 100``, ``monthly_saving_usd >= 500``...). Fields that feed
the same tested facts form a group (``examples`` + ``example_quality`` feed ``usable_examples``); a group's
*signature* is the outcome of its tests. Two profiles with the same signatures get the same strategy, so the
strategy is memoized per signature combination for a rules version, shared by every caller: the questionnaire's
reachability search (rules/reachability.py) and the what-if search (rules/whatif.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from rules.conditions import Predicate, compile_condition, generate_tuple
from rules.derived import DERIVED, DERIVED_BY_NAME
from rules.evaluation import evaluate
from rules.facts import Profile, Strategy
from rules.loading import RULE_FACTS, RuleSet, atoms
from rules.model import Lever, Rule

STRATEGY_LEVERS: tuple[Lever, ...] = ("rag", "fine_tuning")
LEVER_FACTS: dict[Lever, str] = {"prompting": "prompting_score", "rag": "rag_score", "fine_tuning": "fine_tuning_score"}
NOTHING_FIRED: frozenset[str] = frozenset()
Signature = tuple[bool, ...]


@dataclass(frozen=True)
class Group:
    """Profile fields that feed the same facts, and the atomic tests the effective rules make on those facts."""

    fields: tuple[str, ...]
    tests: tuple[Predicate, ...]
    reads: tuple[str, ...] = ()  # the facts the tests read (fields and derived facts)
    keys: tuple[str, ...] = ()  # each test's atom as written, ``repr({fact: {op: operand}})``
    # Each test's fact and condition (``{op: operand}``), in order. Not hashed (a dict); ``keys`` stand for them.
    atoms: tuple[tuple[str, dict[str, Any]], ...] = field(default=(), compare=False)
    # Every test at once, from one generated function (the same results as ``tests``, in their order).
    evaluate: Callable[[Mapping[str, Any], frozenset[str]], tuple[Any, ...]] | None = None


def _fired(when: Any) -> Iterator[str]:
    if isinstance(when, Mapping):
        if isinstance(when.get("fired"), str):
            yield when["fired"]
        for value in when.values():
            yield from _fired(value)
    elif isinstance(when, list):
        for item in when:
            yield from _fired(item)


def effective_rules(ruleset: RuleSet) -> list[Rule]:
    """Rules whose firing can change the strategy, directly or through a rule that reads them."""
    rules = [item.rule for item in ruleset.rules if item.rule.stage != "advice"]
    chosen = {
        rule.id
        for rule in rules
        if set(rule.then.block) & set(STRATEGY_LEVERS) or any(rule.then.score.get(lever) for lever in STRATEGY_LEVERS)
    }
    while True:
        read = {fact for rule in rules if rule.id in chosen for fact, _ in atoms(rule.when)}
        named = {name for rule in rules if rule.id in chosen for name in _fired(rule.when)}
        more = {
            rule.id
            for rule in rules
            if rule.id in named or any(points and LEVER_FACTS[lever] in read for lever, points in rule.then.score.items())
        }
        if more <= chosen:
            return [rule for rule in rules if rule.id in chosen]
        chosen |= more


def fact_inputs(fact: str) -> tuple[str, ...]:
    """The profile fields a fact is read from: a derived fact's inputs, else the field itself."""
    derived = DERIVED_BY_NAME.get(fact)
    return derived.inputs if derived is not None else (fact,)


_GROUPS: dict[str, tuple[Group, ...]] = {}


def groups(ruleset: RuleSet) -> tuple[Group, ...]:
    """The field groups of a rule set (computed once per rules version)."""
    found = _GROUPS.get(ruleset.version)
    if found is not None:
        return found
    known = RULE_FACTS | frozenset(DERIVED_BY_NAME)
    tests = {repr(cond): (fact, cond) for rule in effective_rules(ruleset) for fact, cond in atoms(rule.when) if fact in known}
    owner: dict[str, str] = {}

    def root(name: str) -> str:
        while owner.get(name, name) != name:
            name = owner[name]
        return name

    for fact, _ in tests.values():
        first, *rest = fact_inputs(fact)
        for name in rest:
            owner[root(name)] = root(first)
        owner.setdefault(first, first)
    members: dict[str, list[str]] = {}
    for name in Profile.model_fields:
        if name in owner or any(name in fact_inputs(fact) for fact, _ in tests.values()):
            members.setdefault(root(name), []).append(name)
    result = tuple(
        Group(
            fields=tuple(names),
            tests=tuple(compile_condition(cond, known) for fact, cond in tests.values() if set(fact_inputs(fact)) <= set(names)),
            reads=tuple(dict.fromkeys(fact for fact, _ in tests.values() if set(fact_inputs(fact)) <= set(names))),
            keys=tuple(key for key, (fact, _) in tests.items() if set(fact_inputs(fact)) <= set(names)),
            atoms=tuple((fact, cond[fact]) for fact, cond in tests.values() if set(fact_inputs(fact)) <= set(names)),
            evaluate=generate_tuple([cond for fact, cond in tests.values() if set(fact_inputs(fact)) <= set(names)]),
        )
        for names in members.values()
    )
    _GROUPS[ruleset.version] = result
    return result


def group_facts(group: Group) -> tuple[str, ...]:
    """The group's fields and every derived fact read from them: what one of its assignments changes in the facts."""
    fields = set(group.fields)
    return (*group.fields, *(fact.name for fact in DERIVED if set(fact.inputs) & fields))


_STRATEGIES: dict[str, dict[tuple[Signature, ...], Strategy]] = {}


def signature(group: Group, facts: Mapping[str, Any]) -> Signature:
    if group.evaluate is not None:
        return group.evaluate(facts, NOTHING_FIRED)
    return tuple(test(facts, NOTHING_FIRED) for test in group.tests)


def strategy_memo(ruleset: RuleSet) -> dict[tuple[Signature, ...], Strategy]:
    """The strategy per signature combination for ``ruleset``: a function of the signatures alone."""
    return _STRATEGIES.setdefault(ruleset.version, {})


def strategy_of(combination: tuple[Signature, ...], facts: dict[str, Any], ruleset: RuleSet) -> Strategy:
    """The strategy of ``combination``, evaluating ``facts`` (which must realise it) only the first time it is seen."""
    memo = strategy_memo(ruleset)
    found = memo.get(combination)
    if found is None:
        found = memo[combination] = evaluate(dict(facts), ruleset, strategy_only=True).strategy
    return found
