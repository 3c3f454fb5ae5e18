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
from itertools import combinations
from typing import Any

from knowledge.loader import Catalog
from rules.context import context_for
from rules.counterfactuals import Candidate, candidates, result
from rules.derived import DERIVED_BY_NAME
from rules.facts import STRATEGIES, Lang, Strategy
from rules.loading import RuleSet
from rules.model import Counterfactual
from rules.signatures import Group, Signature, group_facts, groups, signature, strategy_memo, strategy_of

Allowed = Callable[[dict[str, Any], Strategy], bool]
Rank = tuple[int, float]


@dataclass(frozen=True)
class _Move:
    """One or two changes, with the signature each changed group gets."""

    picked: tuple[Candidate, ...]
    signatures: dict[int, Signature]  # group index -> its signature after the change
    rank: Rank


class WhatIf:
    """The facts of one profile, its signatures, and the outcome of changes to it."""

    def __init__(self, values: dict[str, Any], facts: dict[str, Any], catalog: Catalog, today: dt.date, rules: RuleSet) -> None:
        self.values, self.facts, self.rules = values, facts, rules
        self.context = context_for(catalog, today)
        self.memo = strategy_memo(rules)
        self.groups: tuple[Group, ...] = groups(rules)
        self.owner = {name: index for index, group in enumerate(self.groups) for name in group.fields}
        self.owned = [[DERIVED_BY_NAME[name] for name in group_facts(group) if name in DERIVED_BY_NAME] for group in self.groups]
        # What a signature needs: only the derived facts the group's tests read (the rest only on a memo miss).
        self.tested = [[DERIVED_BY_NAME[name] for name in group.reads if name in DERIVED_BY_NAME] for group in self.groups]
        self.raw_reads = [[name for name in group.reads if name not in DERIVED_BY_NAME] for group in self.groups]
        self.signatures: tuple[Signature, ...] = tuple(signature(group, facts) for group in self.groups)

    def _facts(self, changes: dict[str, Any]) -> dict[str, Any]:
        """The profile's facts with ``changes`` applied: their fields and every derived fact of their groups."""
        values = {**self.values, **changes}
        facts = {**self.facts, **changes}
        for index in {self.owner[name] for name in changes}:
            for fact in self.owned[index]:
                facts[fact.name] = fact.compute(values, self.context)
        return facts

    def change(self, picked: tuple[Candidate, ...]) -> _Move:
        """The signatures ``picked`` gives the groups it touches, from only the facts those groups' tests read."""
        changes = {c.field: c.value for c in picked}
        values = {**self.values, **changes}
        signatures: dict[int, Signature] = {}
        for index in {self.owner[name] for name in changes}:
            facts = {name: changes[name] if name in changes else self.facts[name] for name in self.raw_reads[index]}
            for fact in self.tested[index]:
                # A derived fact none of whose inputs changed keeps the profile's value (no recomputation).
                moved = any(name in changes for name in fact.inputs)
                facts[fact.name] = fact.compute(values, self.context) if moved else self.facts[fact.name]
            signatures[index] = signature(self.groups[index], facts)
        if len(picked) == 1:
            return _Move(picked, signatures, (picked[0].effort, picked[0].distance))
        first, second = picked
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

    def pairs(self, singles: list[_Move]) -> Iterator[_Move]:
        """Two changes, best rank first: the best change per (group, new signature) across groups; all within one."""
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
            yield self.change(_ordered(a.picked + b.picked)) if same_group else self.combined(a, b)


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

    singles = whatif.singles()
    if not any(consider(move) for move in singles):
        any(consider(move) for move in whatif.pairs(singles))
    return result(values, wanted, found, lang)
