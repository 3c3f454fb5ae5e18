"""What the what-if search knows about one profile: its group signatures, its single changes, what each group can give.

The search itself is rules/whatif.py. Everything here that does not depend on the profile alone is kept across
profiles by value (ADR 0015): the groups' layout per rules version (rules/whatif_layout.py); per catalog version, day
and rules version, each group's signature by the fields its tests read and each group's single changes by the values
of its fields; per rules version, what a group's signatures can give with the other groups at a given combination.
"""

from __future__ import annotations

import datetime as dt
from functools import cached_property
from operator import attrgetter
from typing import Any

from knowledge.loader import Catalog
from rules.bounded import Bounded, SeenMarks
from rules.context import Context, context_for
from rules.counterfactuals import Candidate, field_candidates
from rules.facts import Strategy
from rules.loading import RuleSet
from rules.signature_rules import coding
from rules.signature_table import answers
from rules.signatures import Signature, signature, strategy_memo, strategy_of
from rules.whatif_layout import layout as layout_of

_by_order = attrgetter("order")


# A group's signature is a function of the fields its tests read (on a catalog version and day, for a rules version):
# kept across profiles, so a change any profile has tried before costs one lookup.
# Bounded so a long run of new profiles keeps memory flat: once full, each new entry replaces the oldest.
SIGNATURE_CACHE_LIMIT = 20_000
SINGLES_CACHE_LIMIT = 512  # tuples of objects the garbage collector walks: fewer
_Kept = tuple[Bounded[tuple[Any, ...], Signature], Bounded[tuple[Any, ...], tuple["Single", ...]]]
_KEPT: dict[tuple[Any, ...], _Kept] = {}
# Group values met before: met again, their singles are built and kept even if no pair needs them, so a group whose
# values come back (all but the traffic's, typically) has them at hand, derived once for all the profiles that share it.
_MET = SeenMarks(SIGNATURE_CACHE_LIMIT)


def _kept(catalog: Catalog, today: dt.date, rules: RuleSet) -> _Kept:
    """The group signatures and group singles kept for (catalog version, day, rules version), created together."""
    key = (catalog.version, today, rules.version)
    found = _KEPT.get(key)
    if found is None:
        if len(_KEPT) >= 4:  # a new day or catalog starts afresh
            _KEPT.clear()
        found = _KEPT[key] = (Bounded(SIGNATURE_CACHE_LIMIT), Bounded(SINGLES_CACHE_LIMIT))
    return found


class Single:
    """One change: its candidate, the group it moves, that group's signature key and, once known, its signature.

    A group's singles depend only on the values of its fields, so they are kept and shared by every profile with
    those values (the signature, derived at most once, is the same for all of them)."""

    __slots__ = ("bits", "candidate", "group", "key", "order", "signature")

    def __init__(
        self, candidate: Candidate, group: int, key: tuple[Any, ...], signature: Signature | None, order: tuple[Any, ...]
    ) -> None:
        self.candidate, self.group, self.key, self.signature, self.order = candidate, group, key, signature, order
        self.bits = 0  # the signature as its group's bits of a combination code, once derived


class WhatIf:
    """The facts of one profile, its signatures, and the outcome of changes to it."""

    def __init__(self, values: dict[str, Any], facts: dict[str, Any], catalog: Catalog, today: dt.date, rules: RuleSet) -> None:
        self.values, self.facts, self.rules = values, facts, rules
        self.context: Context = context_for(catalog, today)
        self.memo = strategy_memo(rules)
        layout = self.layout = layout_of(rules)
        self.groups, self.owner = layout.groups, layout.owner
        cache, kept = _kept(catalog, today, rules)
        self.cache, self.kept = cache, kept
        self.keys = [(index, *read(values)) for index, read in enumerate(layout.read_key)]
        # The profile's own signatures: kept like any change's (by the fields they read), computed from its facts.
        self.signatures: tuple[Signature, ...] = tuple(
            cache.get(key) or signature(group, facts) for key, group in zip(self.keys, self.groups, strict=True)
        )
        self.coding = coding(rules)
        self.table = answers(rules)  # every combination's strategy, and what each group could give
        self.code = self.coding.encode(self.signatures)
        # Per group with singles, in the order its first single comes in ``singles()``: its singles in that order.
        self.members: dict[int, tuple[Single, ...]] = {}
        self.kept_keys: list[tuple[Any, ...]] = []  # per group: what its singles are kept by (its fields' values)
        self.unbuilt: list[int] = []  # groups whose singles ``singles()`` left out (no single of theirs alone can help)
        self.asked: list[tuple[Any, ...]] = []  # every signature key ``signature()`` was asked for
        # The pair phase's record (rules/whatif_traffic.py reads it): the pairs ranked, in order (None: its hits came
        # from the pair memo); per pair gone through, what it gave (None: skipped); per strategy taken, its pair's place.
        self.ranked: list[tuple[Any, ...]] | None = []  # (effort, distance, order, first, second, same group)
        self.outcomes: list[Strategy | None] = []
        self.hits: dict[Strategy, int] = {}

    @cached_property
    def own(self) -> list[frozenset[Strategy]]:
        """What each group alone could give (worked out when a search needs it: a kept search does not)."""
        return [self.reach(index) for index in range(len(self.groups))]

    def _facts(self, changes: dict[str, Any]) -> dict[str, Any]:
        """The profile's facts with ``changes`` applied: their fields and every derived fact of their groups."""
        values = {**self.values, **changes}
        facts = {**self.facts, **changes}
        for index in {self.owner[name] for name in changes}:
            for fact in self.layout.owned[index]:
                facts[fact.name] = fact.compute(values, self.context)
        return facts

    def key(self, index: int, *picked: Candidate) -> tuple[Any, ...]:
        """Group ``index``'s signature key with ``picked`` (all in that group) applied: the fields its tests read."""
        key = list(self.keys[index])
        position = self.layout.position
        for candidate in picked:
            place = position.get(candidate.field)
            if place is not None:
                key[place] = candidate.value
        return tuple(key)

    def signature(self, index: int, *picked: Candidate, key: tuple[Any, ...] | None = None) -> Signature:
        """Group ``index``'s signature with ``picked`` (all in that group) applied, from the fields it reads."""
        key = key or self.key(index, *picked)
        self.asked.append(key)
        found = self.cache.get(key)
        if found is None:
            changed = {c.field for c in picked}
            # Only the fields the group's facts read (as the key holds them): what their computations look at.
            merged = dict(zip(self.layout.key_fields[index], key[1:], strict=True))
            facts = {name: merged[name] for name in self.layout.raw_reads[index]}
            for fact in self.layout.tested[index]:
                # A derived fact none of whose inputs changed keeps the profile's value (no recomputation).
                moved = not changed.isdisjoint(fact.inputs)
                facts[fact.name] = fact.compute(merged, self.context) if moved else self.facts[fact.name]
            found = self.cache.put(key, signature(self.groups[index], facts))
        return found

    def derived(self, single: Single) -> Signature:
        """The signature ``single`` gives its group, derived now if no profile has derived it before."""
        found = single.signature
        if found is None:
            found = self.signature(single.group, single.candidate, key=single.key)
            # Bits before the signature: singles are shared, and another thread takes a set signature as done.
            single.bits = self.coding.bits(single.group, found)
            single.signature = found
        return found

    def outcome(self, changed: dict[int, Signature], picked: tuple[Candidate, ...]) -> Strategy:
        """The strategy with the groups in ``changed`` at their new signatures (``picked`` realises them)."""
        combination = list(self.signatures)
        for index, sig in changed.items():
            combination[index] = sig
        key = tuple(combination)
        found = self.memo.get(key)
        if found is None:  # a combination nobody has seen: run the rules once on facts that realise it
            found = strategy_of(key, self._facts({c.field: c.value for c in picked}), self.rules)
        return found

    def singles(self, missing: set[Strategy]) -> list[Single]:
        """Every actionable single change that touches a group, in the order hits are taken (``candidates``' order);
        each with its signature when some profile has derived it before (the rest are derived only if they can
        matter). A group that alone cannot give a strategy still ``missing``, with values met for the first time, is
        left out: built only if a pair needs it (``paired``; typically the traffic's group, new for every profile)."""
        self.unbuilt, parts = [], []
        for index, kept_key in enumerate(self.group_keys()):
            if kept_key not in self.kept and not self.own[index] & missing and not _MET.offer(kept_key):
                self.unbuilt.append(index)  # values met the first time, no use alone: built only if a pair needs them
            elif group := self._kept_singles(index):
                parts.append(group)
        self.members = {group[0].group: group for group in sorted(parts, key=lambda group: group[0].order)}
        return sorted((single for group in parts for single in group), key=_by_order)

    def group_keys(self) -> list[tuple[Any, ...]]:
        """Per group, what its singles are kept by: the values of its fields (read once)."""
        if not self.kept_keys:
            extra = self.layout.read_extra
            self.kept_keys = [(key, *extra[index](self.values)) for index, key in enumerate(self.keys)]
        return self.kept_keys

    def read_groups(self) -> tuple[int, ...]:
        """The groups whose singles were built: a group never built has no say in what the search finds."""
        return tuple(sorted(self.members))

    def _kept_singles(self, index: int) -> tuple[Single, ...]:
        """Group ``index``'s singles, kept by its fields' values."""
        group = self.kept.get(self.kept_keys[index])
        return group if group is not None else self.kept.put(self.kept_keys[index], self._group_singles(index))

    def _group_singles(self, index: int) -> tuple[Single, ...]:
        cache, key, position, bits = self.cache, self.keys[index], self.layout.position, self.coding.bits
        found = []
        for listed, field in self.layout.candidate_fields[index]:
            place = position.get(field)
            for within, c in enumerate(field_candidates(field, self.values[field])):
                changed = key if place is None else (*key[:place], c.value, *key[place + 1 :])
                single = Single(c, index, changed, cache.get(changed), (c.effort, c.distance, listed, within))
                if single.signature is not None:
                    single.bits = bits(index, single.signature)
                found.append(single)
        found.sort(key=_by_order)  # a group's singles in the order ``singles()`` takes them
        return tuple(found)

    def reach(self, index: int, code: int | None = None) -> frozenset[Strategy]:
        """Every strategy a change within group ``index`` alone could give: over every signature the group's tests
        could take, realisable or not (an upper bound), with the other groups as in ``code`` (the profile's)."""
        return self.table.reach(index, self.code if code is None else code)

    def paired(self, singles: list[Single], missing: set[Strategy]) -> tuple[list[Single], dict[int, tuple[Single, ...]]]:
        """The singles pairs are made of (``singles()``' list), by group as well: every signature derived, but for the
        groups no pair involving could give a strategy still ``missing`` (their singles not derived yet are dropped,
        and with them all their pairs)."""
        by_group = self.members
        deferred = [index for index, members in by_group.items() if any(s.signature is None for s in members)]
        deferred += self.unbuilt  # last: the one checked last is the one not taken as needed without a check
        dropped: set[int] = set()
        built: list[Single] = []
        for position, index in enumerate(deferred):
            if self._matters(index, by_group, set(deferred[position + 1 :]), dropped, missing):
                if index in self.unbuilt and (group := self._kept_singles(index)):
                    by_group[index] = group
                    built.extend(group)
                for single in by_group.get(index, ()):
                    self.derived(single)
            else:
                dropped.add(index)
        if built:  # as if built from the start: every single and every group in the order they come
            singles = sorted([*singles, *built], key=_by_order)
            by_group = dict(sorted(by_group.items(), key=lambda item: item[1][0].order))
        if not dropped:
            return singles, by_group
        kept = {index: members for index, members in by_group.items() if index not in dropped}
        return [single for single in singles if single.group not in dropped], kept

    def _matters(
        self, index: int, by_group: dict[int, tuple[Single, ...]], unresolved: set[int], dropped: set[int], missing: set[Strategy]
    ) -> bool:
        """Whether a pair with a change of group ``index`` could give a strategy still missing: within the group, or
        with another group's changes (at any signature of this group: an upper bound). A kept group is taken as
        mattering while another is unresolved (deriving its singles is done once for every profile that shares them);
        a group left out by ``singles()`` counts the unresolved ones at any signature they could take, when every
        combination's answer is at hand."""
        if self.own[index] & missing or (unresolved and (index not in self.unbuilt or not self.table.complete)):
            return True
        coding = self.coding
        for other in unresolved:
            rest, offset = self.code & ~coding.mask(other), coding.offsets[other]
            if any(self.reach(index, rest | value << offset) & missing for value in range(1 << coding.sizes[other])):
                return True
        for other, members in by_group.items():
            if other == index or other in dropped or other in unresolved:
                continue
            rest = self.code & ~coding.mask(other)
            for single in members:
                self.derived(single)  # all derived by now
            for bits in {single.bits for single in members}:
                if self.reach(index, rest | bits) & missing:
                    return True
        return False
