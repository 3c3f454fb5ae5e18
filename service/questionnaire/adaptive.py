"""Which question to ask next, and when no answer left could change the strategy.

The method (docs/questionnaire.md has the long form) is an exact search over a candidate grid:

1. Only rules that can move the strategy count: a rule of a stage before ``advice`` that blocks or
   scores rag or fine_tuning, or whose score or firing another such rule reads. Advice rules run
   after the strategy is fixed.
2. Those rules see a profile only through atomic tests (``examples > 0``, ``usable_examples < 100``,
   ``provider_can_fine_tune == true``...). Two profiles that pass the same atomic tests get the
   same strategy, so a set of field values can be replaced by its signature: the tests' outcomes.
3. Fields that feed one fact are grouped (``examples`` and ``example_quality`` feed
   ``usable_examples``; provider, model, prompt size and traffic feed ``monthly_saving_usd``). Each
   group's unanswered fields are enumerated over the candidate grid and reduced to their distinct
   signatures (a handful per group), each with one representative assignment.
4. The product of the groups' signatures covers every distinguishable completion of the answers.
   A field can matter when, for some completion of the other fields, two of its values give two
   strategies; the engine runs once per combination (memoized, early exit). The session is done
   when no unanswered field can matter, which is the same as: every completion gives one strategy.

The limit: "every completion" means every combination of grid values. The grid holds the
counterfactual values (rules.counterfactuals), each rule threshold and its neighbours, and 0 and
a huge value for the unbounded counts (the saving is linear in traffic and, past the tuned-prompt
floor, in prompt size, so the extremes reach every side of its threshold). A new rule on a numeric
fact with a threshold off this grid must add it to ``EXTRA_NUMBERS``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import product
from types import MappingProxyType
from typing import Any, Literal, get_args, get_origin

from knowledge.loader import Catalog, default_catalog
from rules.conditions import Predicate, compile_condition
from rules.counterfactuals import NUMERIC
from rules.economics import pricing_provider
from rules.engine import BEHAVIOUR_FIELDS, derive_facts, run_rules
from rules.facts import Profile, Strategy
from rules.loading import DERIVED_FACTS, RULE_FACTS, RuleSet, default_rules
from rules.model import Lever, Rule

# Which profile fields each derived fact of rules.engine.derive_facts is computed from.
# A derived fact missing here is treated as depending on every field: slower, never wrong.
DERIVED_INPUTS: dict[str, tuple[str, ...]] = {
    "usable_examples": ("examples", "example_quality"),
    "behaviour_signals": BEHAVIOUR_FIELDS,
    "changing_knowledge": ("knowledge_change",),
    "monthly_saving_usd": ("provider", "model", "prompt_tokens", "requests_per_day"),
    "provider_can_fine_tune": ("provider",),
    "fine_tuning_deadlines": ("provider",),
    "fine_tuning_alternative": ("provider",),
}
HUGE = 10**9
# Thresholds and their neighbours (examples > 0; usable_examples < 100 at weights 1 and 0.5) and extremes.
EXTRA_NUMBERS: dict[str, tuple[int, ...]] = {
    "examples": (1, 99, 199, HUGE),
    "prompt_tokens": (0, 50, HUGE),
    "requests_per_day": (0, HUGE),
}
GENERIC_NUMBERS = (0, 1, 10, 100, 1000, 10_000, 1_000_000, HUGE)
STRATEGY_LEVERS: tuple[Lever, ...] = ("rag", "fine_tuning")
LEVER_FACTS: dict[Lever, str] = {"prompting": "prompting_score", "rag": "rag_score", "fine_tuning": "fine_tuning_score"}
NOTHING_FIRED: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Group:
    """Profile fields that feed the same facts, and the atomic tests the effective rules make on those facts."""

    fields: tuple[str, ...]
    tests: tuple[Predicate, ...]


@dataclass(frozen=True)
class Plan:
    """What is left to ask: ``open`` lists the unanswered fields that can still change the strategy, in order."""

    open: tuple[str, ...]
    strategy: Strategy | None  # the strategy every completion gets, once ``open`` is empty

    @property
    def next(self) -> str | None:
        return self.open[0] if self.open else None


def _atoms(when: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each atomic test of a ``when`` as (fact, one-key condition); ``fired`` is not a fact."""
    for key, value in when.items():
        if key in ("all", "any"):
            for item in value:
                yield from _atoms(item)
        elif key == "not":
            yield from _atoms(value)
        elif key != "fired":
            for op, operand in value.items() if isinstance(value, Mapping) else [("eq", value)]:
                yield key, {key: {op: operand}}


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
        read = {fact for rule in rules if rule.id in chosen for fact, _ in _atoms(rule.when)}
        named = {name for rule in rules if rule.id in chosen for name in _fired(rule.when)}
        more = {
            rule.id
            for rule in rules
            if rule.id in named or any(points and LEVER_FACTS[lever] in read for lever, points in rule.then.score.items())
        }
        if more <= chosen:
            return [rule for rule in rules if rule.id in chosen]
        chosen |= more


def _inputs(fact: str) -> tuple[str, ...]:
    if fact in DERIVED_FACTS:
        return DERIVED_INPUTS.get(fact, tuple(sorted(RULE_FACTS)))
    return (fact,)


_GROUPS: dict[str, tuple[Group, ...]] = {}


def groups(ruleset: RuleSet) -> tuple[Group, ...]:
    """The field groups of a rule set (computed once per rules version)."""
    found = _GROUPS.get(ruleset.version)
    if found is not None:
        return found
    known = RULE_FACTS | frozenset(DERIVED_FACTS)
    atoms = {repr(cond): (fact, cond) for rule in effective_rules(ruleset) for fact, cond in _atoms(rule.when) if fact in known}
    owner: dict[str, str] = {}

    def root(name: str) -> str:
        while owner.get(name, name) != name:
            name = owner[name]
        return name

    for fact, _ in atoms.values():
        first, *rest = _inputs(fact)
        for name in rest:
            owner[root(name)] = root(first)
        owner.setdefault(first, first)
    members: dict[str, list[str]] = {}
    for name in Profile.model_fields:
        if name in owner or any(name in _inputs(fact) for fact, _ in atoms.values()):
            members.setdefault(root(name), []).append(name)
    result = tuple(
        Group(
            fields=tuple(names),
            tests=tuple(compile_condition(cond, known) for fact, cond in atoms.values() if set(_inputs(fact)) <= set(names)),
        )
        for names in members.values()
    )
    _GROUPS[ruleset.version] = result
    return result


def candidates(field: str, values: Mapping[str, Any], catalog: Catalog) -> tuple[Any, ...]:
    """The grid of values tried for an unanswered field (``model`` depends on the provider in ``values``)."""
    if field == "model":
        entry = catalog.providers.get(pricing_provider(values["provider"]))
        return (None, *(model.id for model in entry.models)) if entry else (None,)
    annotation = Profile.model_fields[field].annotation
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    if annotation is bool:
        return (False, True)
    if annotation is int:
        return tuple(sorted({*NUMERIC.get(field, GENERIC_NUMBERS), *EXTRA_NUMBERS.get(field, ())}))
    return (values[field],)


def _assignments(fields: Sequence[str], values: dict[str, Any], catalog: Catalog) -> Iterator[dict[str, Any]]:
    """Every grid assignment of ``fields``, enumerated field by field so a later field can depend on an earlier."""
    if not fields:
        yield {}
        return
    head, rest = fields[0], fields[1:]
    for value in candidates(head, values, catalog):
        for tail in _assignments(rest, {**values, head: value}, catalog):
            yield {head: value, **tail}


Signature = tuple[bool, ...]
# Per group: every (assignment of its unanswered fields, signature), in enumeration order.
Table = tuple[tuple[dict[str, Any], Signature], ...]


# Catalogs by id, so cached tables can be keyed on a hashable id (in practice only the default catalog).
_CATALOGS: dict[int, Catalog] = {}
_RULESETS: dict[str, RuleSet] = {}


@cache
def _defaults() -> Mapping[str, Any]:
    return MappingProxyType(Profile.model_validate({"task": "-"}).model_dump(mode="json"))


@lru_cache(maxsize=4096)
def _table(group: Group, fixed: tuple[tuple[str, Any], ...], today: dt.date, catalog_id: int) -> Table:
    catalog = _CATALOGS[catalog_id]
    base = {**_defaults(), **dict(fixed)}
    free = [name for name in group.fields if name not in dict(fixed)]
    rows = []
    for assignment in _assignments(free, base, catalog):
        facts = derive_facts({**base, **assignment}, catalog, today)
        rows.append((assignment, tuple(test(facts, NOTHING_FIRED) for test in group.tests)))
    return tuple(rows)


class _Search:
    """One question: given these answers, which fields can still change the strategy?"""

    def __init__(self, answers: Mapping[str, Any], today: dt.date, catalog: Catalog, ruleset: RuleSet) -> None:
        self.catalog, self.ruleset, self.today = catalog, ruleset, today
        self.values = {**_defaults(), **{k: v for k, v in answers.items() if k in Profile.model_fields}}
        self.answered = set(answers)
        self.groups = groups(ruleset)
        _CATALOGS[id(catalog)] = catalog
        self.tables = [
            _table(group, tuple((n, answers[n]) for n in group.fields if n in answers), today, id(catalog))
            for group in self.groups
        ]
        # One representative assignment per signature: any member of a class gives the class's strategy.
        self.classes = [{sig: assignment for assignment, sig in reversed(table)} for table in self.tables]
        self.memo: dict[tuple[Signature, ...], Strategy] = {}

    def strategy(self, combination: tuple[Signature, ...]) -> Strategy:
        found = self.memo.get(combination)
        if found is None:
            values = dict(self.values)
            for classes, sig in zip(self.classes, combination, strict=True):
                values.update(classes[sig])
            found = self.memo[combination] = run_rules(values, self.catalog, self.ruleset, self.today).strategy
        return found

    def matters(self, field: str) -> bool:
        """True when two values of ``field`` give two strategies for some completion of the other fields."""
        index = next((i for i, group in enumerate(self.groups) if field in group.fields), None)
        if index is None or field in self.answered:
            return False
        splits: dict[frozenset[Signature], None] = {}
        by_rest: dict[tuple[Any, ...], set[Signature]] = {}
        for assignment, sig in self.tables[index]:
            rest = tuple(value for name, value in assignment.items() if name != field)
            by_rest.setdefault(rest, set()).add(sig)
        for sigs in by_rest.values():
            if len(sigs) > 1:
                splits.setdefault(frozenset(sigs), None)
        if not splits:
            return False
        others = [list(classes) if i != index else [()] for i, classes in enumerate(self.classes)]
        for combination in product(*others):
            for split in splits:
                seen = {self.strategy((*combination[:index], sig, *combination[index + 1 :])) for sig in split}
                if len(seen) > 1:
                    return True
        return False


def plan(
    answers: Mapping[str, Any],
    order: Sequence[str],
    today: dt.date,
    *,
    catalog: Catalog | None = None,
    ruleset: RuleSet | None = None,
) -> Plan:
    """The unanswered fields, in ``order``, whose answer could still change the strategy; and the strategy once none can."""
    catalog = catalog or default_catalog()
    ruleset = ruleset or default_rules()
    _CATALOGS[id(catalog)] = catalog
    _RULESETS[ruleset.version] = ruleset
    # The task text is never a fact, so sessions that differ only in it share one plan.
    key = tuple(sorted((name, value) for name, value in answers.items() if name in RULE_FACTS))
    return _plan(key, tuple(order), today, id(catalog), ruleset.version)


@lru_cache(maxsize=4096)
def _plan(answers: tuple[tuple[str, Any], ...], order: tuple[str, ...], today: dt.date, catalog_id: int, version: str) -> Plan:
    catalog, ruleset = _CATALOGS[catalog_id], _RULESETS[version]
    search = _Search(dict(answers), today, catalog, ruleset)
    open_fields = tuple(name for name in order if name not in search.answered and search.matters(name))
    strategy = None if open_fields else run_rules(search.values, catalog, ruleset, today).strategy
    return Plan(open=open_fields, strategy=strategy)
