"""What-if searches kept across traffic values: the span of a numeric field where a kept search still holds (ADR 0037).

A kept search (ADR 0034) is keyed by the values of the groups it built. A profile that differs from a kept one only in
its requests per day used to miss whenever the traffic's group was built: its key holds the traffic. Yet the search
reads the traffic in two ways only:

- the signatures of that group's keys that keep the profile's traffic (its own, its singles that change another
  field, its pairs within the group); the group's tests read the traffic only through facts declared monotone in it
  (``DerivedFact.monotone_in``: the monthly saving) and compare them with constants;
- the ranks of the changes of the traffic itself: their distance is ``1 + |log10(t + 1) - log10(v + 1)|``.

On a span of traffic values with no candidate value inside (the distances have no kink there) both are settled by
the span's two ends. A monotone fact lies between its values at the ends, so when both ends are strictly inside the
same gap between the constants its tests compare it with (by a margin far above its float rounding, from
``DerivedFact.scale``), every test answers as at the profile's traffic. Two ranks differ by a linear function of the
log traffic, so when every two neighbours of the ranked lists keep their order at both ends, by a margin, the lists
keep their order inside. Nothing the search reads can then differ, so it finds the same changes: it is kept for the
span (``span``), which starts at the gap between candidate values and shrinks towards the profile's traffic until
both ends hold.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from rules.counterfactuals import NUMERIC, Candidate, field_candidates
from rules.derived import DERIVED_BY_NAME, DerivedFact
from rules.facts import Profile
from rules.loading import RuleSet
from rules.signatures import fact_inputs
from rules.whatif_layout import layout as layout_of

if TYPE_CHECKING:
    from rules.whatif_state import Single, WhatIf

ABSOLUTE_MARGIN = 1e-9  # a fact this close to a constant its tests compare it with: no span
RELATIVE_MARGIN = 1e-12  # x the fact's scale: ~1,000 times the rounding of the few operations that compute it
ORDER_MARGIN = 1e-9  # two ranks closer than this at an end: no span (a tie, or too close to tell)
MOST_COMPARISONS = 20_000  # pairs gone through x pairs left: above this, no span (it would cost more than it saves)
MOST_HALVINGS = 24  # an end that does not hold moves halfway nearer the profile's traffic, at most so many times
BISECTIONS = 4  # then the step between it and the last end that failed is halved so many times
_by_order = attrgetter("order")
_COMPARISONS = frozenset(("eq", "ne", "gt", "gte", "lt", "lte", "in", "not_in"))


@dataclass(frozen=True)
class Plan:
    """The traffic field of a rules version: the numeric field the search can keep its work across."""

    field: str
    group: int  # the group that owns it
    place: int  # its place in that group's signature key
    landmarks: tuple[int, ...]  # its candidate values: where the distances kink and a change stops being one
    upper: int  # its largest valid value
    facts: tuple[tuple[DerivedFact, tuple[float, ...]], ...]  # the tested facts read from it, with their constants
    raw: tuple[float, ...]  # the constants of tests that read the field itself


_PLANS: dict[str, Plan | None] = {}


def plan(rules: RuleSet) -> Plan | None:
    """The traffic field of ``rules`` (None: no numeric field is read through monotone facts and constants only)."""
    if rules.version not in _PLANS:
        _PLANS[rules.version] = _plan(rules)
    return _PLANS[rules.version]


def _constants(conditions: Iterable[dict[str, Any]]) -> tuple[float, ...] | None:
    """The numbers the conditions compare with, or None when one compares otherwise (with another fact, a text...)."""
    found: list[float] = []
    for condition in conditions:
        for op, operand in condition.items():
            items = operand if op in ("in", "not_in") and isinstance(operand, list) else [operand]
            if op not in _COMPARISONS or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in items):
                return None
            found.extend(float(x) for x in items)
    return tuple(sorted(set(found)))


def _upper(field: str) -> int | None:
    bounds = [getattr(item, "le", None) for item in Profile.model_fields[field].metadata]
    return next((int(bound) for bound in bounds if bound is not None), None)


def _plan(rules: RuleSet) -> Plan | None:
    layout = layout_of(rules)
    for field in NUMERIC:
        group, place, upper = layout.owner.get(field), layout.position.get(field), _upper(field)
        if group is None or place is None or upper is None:
            continue
        tests = layout.groups[group].atoms
        reading = [name for name, _ in tests if field in fact_inputs(name)]
        facts = []
        for name in dict.fromkeys(reading):
            fact = DERIVED_BY_NAME.get(name)
            if fact is not None and (fact.monotone_in != field or fact.scale is None):
                break
            constants = _constants(cond for tested, cond in tests if tested == name)
            if constants is None:
                break
            facts.append((fact, constants))
        else:
            raw = next((constants for fact, constants in facts if fact is None), ())
            derived = tuple((fact, constants) for fact, constants in facts if fact is not None)
            return Plan(field, group, place, NUMERIC[field], upper, derived, raw)
    return None


def free_key(plan: Plan, kept_key: tuple[Any, ...]) -> tuple[Any, ...]:
    """The traffic group's kept key (its signature key, then its other fields) without the traffic."""
    key = kept_key[0]
    return ((*key[: plan.place], None, *key[plan.place + 1 :]), *kept_key[1:])


def _gap(value: float, margin: float, constants: tuple[float, ...]) -> int | None:
    """Which gap between ``constants`` holds ``value`` by ``margin`` (None: too near one of them)."""
    place = 0
    for constant in constants:
        if abs(value - constant) <= margin:
            return None
        place += value > constant
    return place


class _Facts:
    """The facts read from the traffic, for each signature key the search read that holds the profile's traffic."""

    def __init__(self, whatif: WhatIf, plan: Plan, keys: Iterable[tuple[Any, ...]]) -> None:
        fields = whatif.layout.key_fields[plan.group]
        self.plan, self.context = plan, whatif.context
        self.values = [dict(zip(fields, key[1:], strict=True)) for key in dict.fromkeys(keys)]

    def gaps(self, traffic: int, scaled_at: int | None = None, like: list[int | None] | None = None) -> list[int | None]:
        """Per key and fact, the gap between its tests' constants that the fact is in at ``traffic``, by a margin
        relative to its scale at ``scaled_at`` (default: ``traffic``); cut short at the first that differs from
        ``like``'s."""
        found: list[int | None] = []
        field = self.plan.field
        for values in self.values:
            for fact, constants in self.plan.facts:
                assert fact.scale is not None  # a plan's facts have one
                values[field] = traffic if scaled_at is None else scaled_at
                scale = fact.scale(values, self.context)
                values[field] = traffic
                found.append(_gap(fact.compute(values, self.context), ABSOLUTE_MARGIN + RELATIVE_MARGIN * scale, constants))
                if like is not None and found[-1] != like[len(found) - 1]:
                    return found
        if self.plan.raw:
            found.append(_gap(float(traffic), ABSOLUTE_MARGIN, self.plan.raw))
        return found


class _Ranks:
    """A ranked list (singles, or pairs) in the search's order at the profile's traffic: ``(effort, changes)``."""

    def __init__(self, plan: Plan, items: Sequence[tuple[int, Sequence[Candidate]]]) -> None:
        self.field = plan.field
        self.efforts = [effort for effort, _ in items]
        # Per item: its traffic change's new value (None: none), and the sum of its other changes' distances.
        self.moving = [next((c.value for c in picked if c.field == plan.field), None) for _, picked in items]
        self.fixed = [sum(c.distance for c in picked if c.field != plan.field) for _, picked in items]
        # What a rank's distance is made of: two ranks of one shape have the same distance at every traffic, bit for
        # bit (a sum of the same numbers).
        self.shapes = [
            (moving, tuple(sorted(c.distance for c in picked if c.field != plan.field)))
            for moving, (_, picked) in zip(self.moving, items, strict=True)
        ]
        self.here = [sum(c.distance for c in picked) for _, picked in items]  # as the search adds them up

    def at(self, moved: dict[Any, float]) -> list[float]:
        """Every item's distance with the traffic's distances of ``moved``."""
        return [fixed if value is None else fixed + moved[value] for value, fixed in zip(self.moving, self.fixed, strict=True)]

    def before(self, first: int, second: int, there: list[float]) -> bool:
        """Whether item ``first`` comes before item ``second`` at every traffic between the profile's and the one where
        the items' distances are ``there``: less effort, or a distance smaller by the margin at both, or the same shape
        (a tie the search breaks by its order, as at the profile's traffic)."""
        effort, other = self.efforts[first], self.efforts[second]
        if effort != other or self.shapes[first] == self.shapes[second]:
            return (effort, first) < (other, second)
        here = self.here
        return here[second] - here[first] > ORDER_MARGIN and there[second] - there[first] > ORDER_MARGIN


def _pairs_hold(whatif: WhatIf, ranks: _Ranks, there: list[float]) -> bool:
    """Whether the pair phase takes the same pairs at every traffic between the profile's and the one where the pairs'
    distances are ``there``: the pairs it went through stay ahead of the rest, and each pair it took stays ahead of
    every later pair it went through that could give the same strategy (one that gave it, or one it skipped whose
    group could give it). The order among the other pairs it went through does not change what it takes."""
    gone_through, pairs = len(whatif.outcomes), whatif.ranked or []
    rest = range(gone_through, len(pairs))
    if gone_through * len(rest) > MOST_COMPARISONS:
        return False
    if not all(ranks.before(first, second, there) for first in range(gone_through) for second in rest):
        return False
    for strategy, taken in whatif.hits.items():
        for later in range(taken + 1, gone_through):
            outcome = whatif.outcomes[later]
            rival = outcome == strategy or (outcome is None and strategy in whatif.own[pairs[later][3].group])
            if rival and not ranks.before(taken, later, there):
                return False
    return True


def span(whatif: WhatIf, plan: Plan, observed: Iterable[tuple[Any, ...]]) -> tuple[int, int] | None:
    """The traffic values around the profile's over which its search finds the same changes (None: none but its own).

    ``observed``: the traffic group's signature keys the search read that hold the profile's traffic. The pair phase's
    record is on ``whatif`` (``ranked``: None when its hits came from the pair memo, unranked)."""
    traffic = whatif.values[plan.field]
    if whatif.ranked is None or traffic in plan.landmarks:
        return None
    facts = _Facts(whatif, plan, observed)
    gaps = facts.gaps(traffic)
    if None in gaps:
        return None
    singles = _Ranks(plan, [(s.candidate.effort, (s.candidate,)) for s in sorted(_all_singles(whatif), key=_by_order)])
    pairs = _Ranks(plan, [(a.candidate.effort + b.candidate.effort, (a.candidate, b.candidate)) for *_, a, b, _ in whatif.ranked])

    def holds(end: int, scaled_at: int | None = None) -> bool:
        moved = {c.value: c.distance for c in field_candidates(plan.field, end)}
        there = singles.at(moved)
        return (
            facts.gaps(end, scaled_at, gaps) == gaps
            and all(singles.before(index, index + 1, there) for index in range(len(there) - 1))
            and _pairs_hold(whatif, pairs, pairs.at(moved))
        )

    below = max((mark for mark in plan.landmarks if mark < traffic), default=-1) + 1
    above = min((mark for mark in plan.landmarks if mark > traffic), default=plan.upper + 1) - 1
    low, high = _end(holds, traffic, below), _end(holds, traffic, above)
    # Both ends again, every margin from the scale at the higher end: a fact's rounding grows with the traffic (its
    # scale does), so no value between the ends rounds by more than that.
    if facts.gaps(traffic, high, gaps) != gaps or not holds(low, high) or not holds(high):
        return None
    return low, high


def _all_singles(whatif: WhatIf) -> Iterable[Single]:
    return (single for members in whatif.members.values() for single in members)


def _end(holds: Callable[[int], bool], traffic: int, end: int) -> int:
    """An end towards ``end`` that holds, as far as a few tries find: ``end`` itself, else halving the distance until
    one holds, then halving the step between it and the nearest end that failed (``traffic``: none holds)."""
    tries, failed = 0, end
    while end != traffic and not holds(end):
        tries += 1
        if tries > MOST_HALVINGS:
            return traffic
        failed, end = end, traffic + (end - traffic) // 2
    for _ in range(BISECTIONS):
        middle = end + (failed - end) // 2
        if middle in (end, failed):
            break
        if holds(middle):
            end = middle
        else:
            failed = middle
    return end
