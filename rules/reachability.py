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
   strategies; each combination's strategy comes from the table of every combination (rules/signature_table.py),
   or from the engine when the rules are too many for a table (memoized, early exit). The session is done
   when no unanswered field can matter, which is the same as: every completion gives one strategy.

The limit: "every completion" means every combination of grid values. The grid holds the
counterfactual values (rules.counterfactuals), 0 and a huge value for the unbounded counts, and, read
from the rules themselves, each threshold and its neighbours: a threshold on a profile field directly,
one on a derived fact through that fact's ``grid`` in rules/derived.py (the example counts that land on
each side of ``usable_examples < 100`` at every quality weight; the extremes of traffic and prompt size
for the dollar saving, which is linear in both past the tuned-prompt floor). So a new rule with a new
threshold needs nothing here: its YAML is enough.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import product
from types import MappingProxyType
from typing import Any, Literal, get_args, get_origin

from knowledge.loader import Catalog, default_catalog
from rules.derived import DERIVED_BY_NAME, HUGE, derive_facts
from rules.evaluation import evaluate, run_rules
from rules.facts import Profile, Strategy
from rules.loading import RULE_FACTS, RuleSet, atoms, default_rules
from rules.signature_rules import coding
from rules.signature_table import answers as answers_of
from rules.signatures import NOTHING_FIRED, Group, Signature, group_facts, groups, strategy_memo

GENERIC_NUMBERS = (0, 1, 10, 100, 1000, 10_000, 1_000_000, HUGE)
# A plan per distinct answer set: a session that continues misses anyway (its answers grew), so a few hundred
# cover reloads and retries; more only grow memory through a long run of sessions.
PLAN_CACHE_SIZE = 1024


@dataclass(frozen=True)
class Plan:
    """What is left to ask: ``open`` lists the unanswered fields that can still change the strategy, in order."""

    open: tuple[str, ...]
    strategy: Strategy | None  # the strategy every completion gets, once ``open`` is empty

    @property
    def next(self) -> str | None:
        return self.open[0] if self.open else None


_GRIDS: dict[str, dict[str, frozenset[int]]] = {}


def numeric_grid(ruleset: RuleSet) -> dict[str, frozenset[int]]:
    """Per numeric profile field, the values the rules' thresholds call for (computed once per rules version)."""
    found = _GRIDS.get(ruleset.version)
    if found is not None:
        return found
    grid: dict[str, set[int]] = {}
    for item in ruleset.rules:
        for fact, cond in atoms(item.rule.when):
            for operand in cond[fact].values():
                numbers = operand if isinstance(operand, list) else [operand]
                for number in numbers:
                    if isinstance(number, bool) or not isinstance(number, int | float):
                        continue
                    derived = DERIVED_BY_NAME.get(fact)
                    if derived is None:
                        edge = math.ceil(number)
                        points = [(fact, value) for value in (edge - 1, edge, edge + 1) if value >= 0]
                    else:
                        points = list(derived.grid(number)) if derived.grid else []
                    for name, value in points:
                        grid.setdefault(name, set()).add(value)
    _GRIDS[ruleset.version] = result = {name: frozenset(values) for name, values in grid.items()}
    return result


def candidates(
    field: str, values: Mapping[str, Any], catalog: Catalog, ruleset: RuleSet | None = None, today: dt.date | None = None
) -> tuple[Any, ...]:
    """The grid of values tried for an unanswered field; a later field's grid may depend on earlier ones in ``values``.

    ``model`` is only a choice for a provider that can tune it today (any other model is tuned like the default, and
    which model serves today's prompt is read by no rule that moves the strategy); ``openai_can_tune`` only counts
    for OpenAI.
    """
    if field == "model":
        entry = catalog.providers.get(values["provider"])  # undecided teams are priced on a default
        day = today or dt.date.today()
        return (None, *(m.id for m in entry.models if m.tunable_on(day))) if entry else (None,)
    if field == "openai_can_tune" and values["provider"] != "openai":
        return (values[field],)
    annotation = Profile.model_fields[field].annotation
    if get_origin(annotation) is Literal:
        return get_args(annotation)
    if annotation is bool:
        return (False, True)
    if annotation is int:
        # 0, a huge value and every threshold the rules set (with its neighbours) reach every outcome: each rule
        # compares a count, or a fact monotone in it between the kinks its derived fact's grid lists, with a constant.
        from_rules = numeric_grid(ruleset or default_rules()).get(field, frozenset())
        return tuple(sorted({0, HUGE, *from_rules}))
    return (values[field],)


def _assignments(
    fields: Sequence[str], values: dict[str, Any], catalog: Catalog, ruleset: RuleSet, today: dt.date
) -> Iterator[dict[str, Any]]:
    """Every grid assignment of ``fields``, enumerated field by field so a later field can depend on an earlier."""
    if not fields:
        yield {}
        return
    head, rest = fields[0], fields[1:]
    for value in candidates(head, values, catalog, ruleset, today):
        for tail in _assignments(rest, {**values, head: value}, catalog, ruleset, today):
            yield {head: value, **tail}


@dataclass(frozen=True)
class Table:
    """What a search needs of a group's grid, given its answered fields: kept per answers, so only this, not the rows.

    ``classes``: per signature the group's unanswered fields can give, the facts of one assignment that gives it (the
    first in enumeration order). ``splits``: per unanswered field, each distinct set of two or more signatures its
    values give with the group's other unanswered fields held at one assignment, in order of first appearance.
    """

    classes: dict[Signature, dict[str, Any]]  # shared by every search with these answers: read, never changed
    splits: dict[str, tuple[frozenset[Signature], ...]]


def _splits(rows: list[tuple[dict[str, Any], Signature]], field: str) -> tuple[frozenset[Signature], ...]:
    by_rest: dict[tuple[Any, ...], set[Signature]] = {}
    for assignment, sig in rows:
        rest = tuple(value for name, value in assignment.items() if name != field)
        by_rest.setdefault(rest, set()).add(sig)
    return tuple(dict.fromkeys(frozenset(sigs) for sigs in by_rest.values() if len(sigs) > 1))


# Catalogs and rule sets by content version, so cached tables key on a hashable version, never on an object id.
_CATALOGS: dict[str, Catalog] = {}
_RULESETS: dict[str, RuleSet] = {}


@cache
def _defaults() -> Mapping[str, Any]:
    return MappingProxyType(Profile.model_validate({"task": "-"}).model_dump(mode="json"))


@lru_cache(maxsize=4096)
def _table(group: Group, fixed: tuple[tuple[str, Any], ...], today: dt.date, catalog_version: str, rules_version: str) -> Table:
    catalog, ruleset = _CATALOGS[catalog_version], _RULESETS[rules_version]
    base = {**_defaults(), **dict(fixed)}
    free = [name for name in group.fields if name not in dict(fixed)]
    owned = group_facts(group)
    rows: list[tuple[dict[str, Any], Signature]] = []
    classes: dict[Signature, dict[str, Any]] = {}
    for assignment in _assignments(free, base, catalog, ruleset, today):
        facts = derive_facts({**base, **assignment}, catalog, today)
        sig = tuple(test(facts, NOTHING_FIRED) for test in group.tests)
        rows.append((assignment, sig))
        if sig not in classes:
            classes[sig] = {name: facts[name] for name in owned}
    # One representative per signature, in the order of each signature's last row (as the search lists them).
    order = dict.fromkeys(sig for _, sig in reversed(rows))
    return Table(classes={sig: classes[sig] for sig in order}, splits={name: _splits(rows, name) for name in free})


class _Search:
    """One question: given these answers, which fields can still change the strategy?"""

    def __init__(self, answers: Mapping[str, Any], today: dt.date, catalog: Catalog, ruleset: RuleSet) -> None:
        self.catalog, self.ruleset, self.today = catalog, ruleset, today
        self.values = {**_defaults(), **{k: v for k, v in answers.items() if k in Profile.model_fields}}
        self.answered = set(answers)
        self.groups = groups(ruleset)
        self.tables = [
            _table(group, tuple((n, answers[n]) for n in group.fields if n in answers), today, catalog.version, ruleset.version)
            for group in self.groups
        ]
        # One representative per signature (its facts): any member of a class gives the class's strategy.
        self.classes = [table.classes for table in self.tables]
        # Facts derived from fields outside every group never change in this search: derived once.
        self.base = derive_facts(self.values, catalog, today)
        # The strategy is a function of the signatures alone (the effective rules read nothing else): one memo per
        # rules version serves every search, filled from the table of every combination (ADR 0032) when there is one.
        self.memo = strategy_memo(ruleset)
        self.table = answers_of(ruleset)
        self.coding = coding(ruleset)

    def strategy(self, combination: tuple[Signature, ...]) -> Strategy:
        found = self.memo.get(combination)
        if found is None and self.table.complete:
            found = self.memo[combination] = self.table.strategy(self.coding.encode(combination))
        elif found is None:
            facts = dict(self.base)
            for classes, sig in zip(self.classes, combination, strict=True):
                facts.update(classes[sig])
            found = self.memo[combination] = evaluate(facts, self.ruleset, strategy_only=True).strategy
        return found

    def matters(self, field: str) -> bool:
        """True when two values of ``field`` give two strategies for some completion of the other fields."""
        index = next((i for i, group in enumerate(self.groups) if field in group.fields), None)
        if index is None or field in self.answered:
            return False
        splits = self.tables[index].splits[field]
        if not splits:
            return False
        others = [list(classes) if i != index else [()] for i, classes in enumerate(self.classes)]
        for combination in product(*others):
            for split in splits:
                seen = {self.strategy((*combination[:index], sig, *combination[index + 1 :])) for sig in split}
                if len(seen) > 1:
                    return True
        return False


def open_questions(
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
    _CATALOGS.setdefault(catalog.version, catalog)
    _RULESETS.setdefault(ruleset.version, ruleset)
    # The task text is never a fact, so sessions that differ only in it share one plan.
    key = tuple(sorted((name, value) for name, value in answers.items() if name in RULE_FACTS))
    return _plan(key, tuple(order), today, catalog.version, ruleset.version)


@lru_cache(maxsize=PLAN_CACHE_SIZE)
def _plan(
    answers: tuple[tuple[str, Any], ...], order: tuple[str, ...], today: dt.date, catalog_version: str, version: str
) -> Plan:
    catalog, ruleset = _CATALOGS[catalog_version], _RULESETS[version]
    search = _Search(dict(answers), today, catalog, ruleset)
    open_fields = tuple(name for name in order if name not in search.answered and search.matters(name))
    strategy = None if open_fields else run_rules(search.values, catalog, ruleset, today).strategy
    return Plan(open=open_fields, strategy=strategy)
