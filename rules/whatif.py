"""The what-if search, on signatures: the same answers as re-running the rules for every change, at a fraction of it.

A candidate change (rules/counterfactuals.py) can only move the strategy through the signature of the group that
holds its field (rules/signatures.py); a field in no group never can. So a change costs the derived facts its group's
tests read and those few tests, and the strategy of a signature combination is a dict lookup once anybody has seen
it (the rules run only on a combination nobody has seen, with the full facts then derived). Two changes in different
groups combine signatures already computed, and only the best-ranked change per (group, new signature) needs pairing,
since the outcome depends on the signatures alone and ranks add up. Two changes in one group are derived together.
Hits are taken in the order of the plain search: one change before two, less effort first, nearer values first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import combinations, product
from typing import Any

from knowledge.loader import Catalog
from rules.context import context_for
from rules.counterfactuals import Candidate, candidates, result
from rules.derived import DERIVED_BY_NAME, DerivedFact
from rules.facts import STRATEGIES, Lang, Strategy
from rules.loading import RuleSet
from rules.model import Counterfactual
from rules.signatures import (
    Group,
    Signature,
    group_facts,
    groups,
    signature,
    signature_strategy,
    strategy_memo,
    strategy_of,
)

Allowed = Callable[[dict[str, Any], Strategy], bool]
Rank = tuple[int, float]


@dataclass(frozen=True)
class _Move:
    """One or two changes, with the signature each changed group gets."""

    picked: tuple[Candidate, ...]
    signatures: dict[int, Signature]  # group index -> its signature after the change
    rank: Rank


@dataclass(frozen=True)
class _Layout:
    """What a rules version's groups need, worked out once: who owns a field, what a signature reads."""

    groups: tuple[Group, ...]
    owner: dict[str, int]
    owned: list[list[DerivedFact]]  # per group: every derived fact of its fields (to realise a combination)
    tested: list[list[DerivedFact]]  # per group: only the derived facts its tests read
    raw_reads: list[list[str]]  # per group: the fields its tests read directly
    key_fields: list[tuple[str, ...]]  # per group: every field its signature depends on


_LAYOUTS: dict[str, _Layout] = {}


def _layout(rules: RuleSet) -> _Layout:
    found = _LAYOUTS.get(rules.version)
    if found is None:
        ruled = groups(rules)
        tested = [[DERIVED_BY_NAME[name] for name in group.reads if name in DERIVED_BY_NAME] for group in ruled]
        raw_reads = [[name for name in group.reads if name not in DERIVED_BY_NAME] for group in ruled]
        found = _LAYOUTS[rules.version] = _Layout(
            groups=ruled,
            owner={name: index for index, group in enumerate(ruled) for name in group.fields},
            owned=[[DERIVED_BY_NAME[name] for name in group_facts(group) if name in DERIVED_BY_NAME] for group in ruled],
            tested=tested,
            raw_reads=raw_reads,
            key_fields=[
                tuple(dict.fromkeys([*raw, *(name for fact in facts for name in fact.inputs)]))
                for raw, facts in zip(raw_reads, tested, strict=True)
            ],
        )
    return found


# A group's signature is a function of the fields its tests read (on a catalog version and day, for a rules version):
# kept across profiles, so a change any profile has tried before costs one lookup.
SIGNATURE_CACHE_LIMIT = 50_000
_SIGNATURES: dict[tuple[Any, ...], dict[tuple[Any, ...], Signature]] = {}


def _signature_cache(catalog: Catalog, today: dt.date, rules: RuleSet) -> dict[tuple[Any, ...], Signature]:
    key = (catalog.version, today, rules.version)
    found = _SIGNATURES.get(key)
    if found is None:
        if len(_SIGNATURES) >= 64:
            _SIGNATURES.clear()
        found = _SIGNATURES[key] = {}
    return found


REACH_CACHE_LIMIT = 20_000
_REACH: dict[str, dict[tuple[Any, ...], frozenset[Strategy]]] = {}


def _reach_memo(rules: RuleSet) -> dict[tuple[Any, ...], frozenset[Strategy]]:
    return _REACH.setdefault(rules.version, {})


class WhatIf:
    """The facts of one profile, its signatures, and the outcome of changes to it."""

    def __init__(self, values: dict[str, Any], facts: dict[str, Any], catalog: Catalog, today: dt.date, rules: RuleSet) -> None:
        self.values, self.facts, self.rules = values, facts, rules
        self.context = context_for(catalog, today)
        self.memo = strategy_memo(rules)
        layout = self.layout = _layout(rules)
        self.groups, self.owner = layout.groups, layout.owner
        self.cache = _signature_cache(catalog, today, rules)
        self.signatures: tuple[Signature, ...] = tuple(signature(group, facts) for group in self.groups)

    def _facts(self, changes: dict[str, Any]) -> dict[str, Any]:
        """The profile's facts with ``changes`` applied: their fields and every derived fact of their groups."""
        values = {**self.values, **changes}
        facts = {**self.facts, **changes}
        for index in {self.owner[name] for name in changes}:
            for fact in self.layout.owned[index]:
                facts[fact.name] = fact.compute(values, self.context)
        return facts

    def _signature(self, index: int, changes: dict[str, Any]) -> Signature:
        """Group ``index``'s signature with ``changes`` (all in that group) applied, from the fields it reads."""
        values = self.values
        key = (index, *(changes[name] if name in changes else values[name] for name in self.layout.key_fields[index]))
        found = self.cache.get(key)
        if found is None:
            merged = {**values, **changes}
            facts = {name: merged[name] for name in self.layout.raw_reads[index]}
            for fact in self.layout.tested[index]:
                # A derived fact none of whose inputs changed keeps the profile's value (no recomputation).
                moved = any(name in changes for name in fact.inputs)
                facts[fact.name] = fact.compute(merged, self.context) if moved else self.facts[fact.name]
            found = signature(self.groups[index], facts)
            if len(self.cache) >= SIGNATURE_CACHE_LIMIT:
                self.cache.clear()
            self.cache[key] = found
        return found

    def change(self, picked: tuple[Candidate, ...]) -> _Move:
        """The signatures ``picked`` gives the groups it touches, from only the facts those groups' tests read."""
        if len(picked) == 1:
            (only,) = picked
            index = self.owner[only.field]
            return _Move(picked, {index: self._signature(index, {only.field: only.value})}, (only.effort, only.distance))
        first, second = picked
        one, two = self.owner[first.field], self.owner[second.field]
        if one == two:
            signatures = {one: self._signature(one, {first.field: first.value, second.field: second.value})}
        else:
            signatures = {
                one: self._signature(one, {first.field: first.value}),
                two: self._signature(two, {second.field: second.value}),
            }
        return _Move(picked, signatures, (first.effort + second.effort, first.distance + second.distance))

    def combined(self, first: _Move, second: _Move) -> _Move:
        """Two changes in different groups: their signatures are already known."""
        return _Move(_ordered(first.picked + second.picked), {**first.signatures, **second.signatures}, _sum(first, second))

    def outcome(self, move: _Move) -> Strategy:
        combination = list(self.signatures)
        for index, sig in move.signatures.items():
            combination[index] = sig
        key = tuple(combination)
        found = self.memo.get(key)
        if found is None:  # a combination nobody has seen: run the rules once on facts that realise it
            found = strategy_of(key, self._facts({c.field: c.value for c in move.picked}), self.rules)
        return found

    def singles(self) -> list[_Move]:
        """Every actionable single change that touches a group, in the order hits are taken."""
        return [self.change((c,)) for c in candidates(self.values) if c.field in self.owner]

    def reach(self, index: int) -> frozenset[Strategy]:
        """Every strategy a change within group ``index`` alone could give: over every signature the group's tests
        could take, realisable or not (an upper bound), with the other groups as the profile has them."""
        reached = _reach_memo(self.rules)
        key = (index, self.signatures)
        found = reached.get(key)
        if found is None:
            combination = list(self.signatures)
            strategies = set()
            for sig in product((False, True), repeat=len(self.groups[index].tests)):
                combination[index] = sig
                strategies.add(signature_strategy(tuple(combination), self.rules))
            if len(reached) >= REACH_CACHE_LIMIT:
                reached.clear()
            found = reached[key] = frozenset(strategies)
        return found

    def pairs(self, singles: list[_Move], needless: Callable[[int], bool] = lambda _index: False) -> Iterator[_Move]:
        """Two changes, best rank first: the best change per (group, new signature) across groups; all within one.

        A pair within a group ``needless`` says cannot give a strategy still missing is skipped (it is not derived).
        """
        best: dict[tuple[int, Signature], _Move] = {}
        for move in singles:
            ((index, sig),) = move.signatures.items()
            if sig != self.signatures[index]:
                best.setdefault((index, sig), move)
        by_group: dict[int, list[_Move]] = {}
        for move in singles:
            by_group.setdefault(self.owner[move.picked[0].field], []).append(move)
        ranked: list[tuple[Rank, int, _Move, _Move]] = []
        for (ia, _), a in best.items():
            for (ib, _), b in best.items():
                if ia < ib:
                    ranked.append((_sum(a, b), 0, a, b))
        for members in by_group.values():
            for a, b in combinations(members, 2):
                if a.picked[0].field != b.picked[0].field:
                    ranked.append((_sum(a, b), 1, a, b))
        ranked.sort(key=lambda item: item[0])
        for _, same_group, a, b in ranked:
            if not same_group:
                yield self.combined(a, b)
            elif not needless(self.owner[a.picked[0].field]):
                yield self.change(_ordered(a.picked + b.picked))


def _ordered(picked: tuple[Candidate, ...]) -> tuple[Candidate, ...]:
    """The changes of a pair as people read them: the less effort, then the nearer, first (as the plain search)."""
    return tuple(sorted(picked, key=lambda c: c.rank))


def _sum(a: _Move, b: _Move) -> Rank:
    return (a.rank[0] + b.rank[0], a.rank[1] + b.rank[1])


def search(
    values: dict[str, Any],
    facts: dict[str, Any],
    current: Strategy,
    catalog: Catalog,
    today: dt.date,
    rules: RuleSet,
    allowed: Allowed,
    lang: Lang,
) -> list[Counterfactual]:
    """One counterfactual per other strategy, least effort first; ``reachable`` is false when none is found."""
    wanted = [s for s in STRATEGIES if s != current]
    found: dict[Strategy, tuple[Candidate, ...]] = {}
    whatif = WhatIf(values, facts, catalog, today, rules)

    def consider(move: _Move) -> bool:
        outcome = whatif.outcome(move)
        if outcome in wanted and outcome not in found:
            changed = {**values, **{c.field: c.value for c in move.picked}}
            if allowed(changed, outcome):
                found[outcome] = move.picked
        return len(found) == len(wanted)

    def needless(index: int) -> bool:
        return not whatif.reach(index) & (set(wanted) - found.keys())

    singles = whatif.singles()
    if not any(consider(move) for move in singles):
        any(consider(move) for move in whatif.pairs(singles, needless))
    return result(values, wanted, found, lang)
