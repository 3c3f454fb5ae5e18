"""The strategy of every signature combination at once, and what each group could give: two lookups per question.

``signature_strategy`` (rules/signature_rules.py) answers for one combination. The what-if search asks it for many
combinations nobody has realised (ADR 0015's upper bounds: a group's reach is the strategies of up to 2^k
combinations), and a varied cold profile spent a third of its search there (ADR 0032). With 18 tests there are only
262,144 combinations, so this module evaluates the effective rules on all of them at once and keeps the answers:

- each test is a *bitset* over the combinations (an int whose bit ``c`` says whether combination ``c`` passes it);
  ``all``, ``any`` and ``not`` are ``&``, ``|`` and the complement;
- each fact the run computes (a score, ``*_indicated``) is kept as its *distribution*: value -> the combinations at
  which it has that value. Adding points where a rule fired moves those combinations to the value plus the points; a
  test of the fact (``fine_tuning_score > 2``) is the union of the values the rule language's own predicate accepts,
  so every operator means what it means to the engine;
- the stages, rules, scores, blocks and ``fired`` follow the generated per-combination code line by line.

The result is one byte per combination (its strategy) and, per group, one byte per combination with that group's bits
cleared (the strategies some value of the group's bits gives there, as a bit mask). A rule set with more than
``MAX_TABLE_BITS`` tests, or a condition on a fact the run does not compute, gets no table: the callers then evaluate
combination by combination as before. tests/rules/test_signature_table.py compares every combination with
``_evaluate_signatures`` and every group's reach with the brute force.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping
from dataclasses import dataclass
from functools import reduce
from itertools import product
from typing import Any

from rules.bounded import Bounded
from rules.conditions import compile_condition
from rules.evaluation import PROMPTING_BASELINE, choose_strategy
from rules.facts import STRATEGIES, Strategy
from rules.loading import RuleSet, atoms
from rules.model import STAGES
from rules.signature_rules import code_strategy, coding
from rules.signatures import effective_rules, groups

MAX_TABLE_BITS = 20  # 2^20 combinations: a 1 MiB table and 1 MiB per group, built in well under a second
REACH_CACHE_LIMIT = 10_000  # reaches kept by ``OneByOne``
Bits = int  # a set of combinations, as an int
Distribution = dict[Any, Bits]  # a run fact's value -> the combinations where it has that value

# A reach mask (bit i: STRATEGIES[i] reachable) -> the set of strategies.
_REACH_SETS = tuple(
    frozenset(strategy for place, strategy in enumerate(STRATEGIES) if mask >> place & 1) for mask in range(1 << len(STRATEGIES))
)
_ONES = bytes.maketrans(b"01", b"\x00\x01")


@dataclass(frozen=True)
class StrategyTable:
    """Every combination's strategy, and per group what its tests could give with the other groups fixed."""

    strategies: bytes  # per combination code: its strategy's index in STRATEGIES
    reaches: tuple[bytes, ...]  # per group, per code with that group's bits cleared: a mask of STRATEGIES indices
    keep: tuple[int, ...]  # per group: the code's bits outside that group
    complete = True  # not a field: every combination answered already, so asking many costs a lookup each

    def strategy(self, code: int) -> Strategy:
        return STRATEGIES[self.strategies[code]]

    def reach(self, index: int, code: int) -> frozenset[Strategy]:
        """Every strategy a change of group ``index``'s signature alone gives at ``code`` (realisable or not)."""
        return _REACH_SETS[self.reaches[index][code & self.keep[index]]]


class OneByOne:
    """The same answers as a ``StrategyTable``, combination by combination, kept as they are asked: for a rule set that
    has no table (more than ``MAX_TABLE_BITS`` tests, or a test the bitset walk does not cover)."""

    complete = False  # each combination nobody asked before is evaluated

    def __init__(self, ruleset: RuleSet) -> None:
        self.ruleset = ruleset
        self.coding = coding(ruleset)
        self.reached: Bounded[tuple[int, int], frozenset[Strategy]] = Bounded(REACH_CACHE_LIMIT)

    def strategy(self, code: int) -> Strategy:
        return code_strategy(code, self.ruleset)

    def reach(self, index: int, code: int) -> frozenset[Strategy]:
        key = (index, code)
        found = self.reached.get(key)
        if found is None:
            offset, rest = self.coding.offsets[index], code & ~self.coding.mask(index)
            strategies: set[Strategy] = set()
            for value in range(1 << self.coding.sizes[index]):
                strategies.add(code_strategy(rest | value << offset, self.ruleset))
                if len(strategies) == len(STRATEGIES):
                    break  # every strategy: the rest cannot add one
            found = self.reached.put(key, frozenset(strategies))
        return found


Answers = StrategyTable | OneByOne


class _Unsupported(Exception):
    """A rule set the bitset evaluation does not cover (it is then evaluated combination by combination)."""


class _Walk:
    """The effective rules evaluated over all ``2^width`` combinations at once."""

    def __init__(self, ruleset: RuleSet, where: dict[str, int], width: int) -> None:
        self.size = 1 << width
        self.all: Bits = (1 << self.size) - 1
        self.where = where  # a test's atom as written -> its bit in the code
        self.tested = [_bit_set(bit, width) for bit in range(width)]
        self.fired: dict[str, Bits] = {}
        self.facts: dict[str, Distribution] = {}
        self.scores: dict[str, Distribution] = {
            "prompting": {PROMPTING_BASELINE: self.all},
            "rag": {0: self.all},
            "fine_tuning": {0: self.all},
        }
        self.blocked: dict[str, Bits] = {}
        effective = {rule.id for rule in effective_rules(ruleset)}
        for stage in STAGES:
            if stage == "advice":
                continue
            if stage == "readiness":
                for lever in ("prompting", "rag", "fine_tuning"):
                    self.facts[f"{lever}_score"] = self.scores[lever]
            elif stage == "feasibility":
                for lever in ("fine_tuning", "rag"):
                    positive = self._matching(self.scores[lever], lambda value: value > 0)
                    self.facts[f"{lever}_indicated"] = self._boolean(positive & ~self.blocked.get(lever, 0))
            for item, _, rule_id, score, block in ruleset.plan[stage]:
                if rule_id not in effective:
                    continue
                holds = self._condition(item.rule.when)
                self.fired[rule_id] = self.fired.get(rule_id, 0) | holds
                for lever, points in score:
                    self.scores[lever] = _added(self.scores[lever], int(points), holds)
                for lever in block:
                    self.blocked[lever] = self.blocked.get(lever, 0) | holds
        rag = self._true("rag_indicated") & ~self.blocked.get("rag", 0)
        tuning = self._true("fine_tuning_indicated") & ~self.blocked.get("fine_tuning", 0)
        self.by_strategy: dict[Strategy, Bits] = {strategy: 0 for strategy in STRATEGIES}
        for with_rag, with_tuning in product((False, True), repeat=2):
            where_both = (rag if with_rag else self.all & ~rag) & (tuning if with_tuning else self.all & ~tuning)
            self.by_strategy[choose_strategy(with_rag, with_tuning)] |= where_both

    def _boolean(self, holds: Bits) -> Distribution:
        return {True: holds, False: self.all & ~holds}

    def _true(self, fact: str) -> Bits:
        return self._matching(self.facts[fact], bool)

    def _matching(self, distribution: Distribution, accept: Any) -> Bits:
        found = 0
        for value, bits in distribution.items():
            if accept(value):
                found |= bits
        return found

    def _condition(self, when: Mapping[str, Any]) -> Bits:
        """The combinations where ``when`` holds, as the generated per-combination code reads it."""
        holds = self.all
        for key, value in when.items():
            holds &= self._key(key, value)
        return holds

    def _key(self, key: str, value: Any) -> Bits:
        if key == "all":
            return reduce(operator.and_, (self._condition(item) for item in value), self.all)
        if key == "any":
            return reduce(operator.or_, (self._condition(item) for item in value), 0)
        if key == "not":
            return self.all & ~self._condition(value)
        if key == "fired":
            return self.fired.get(value, 0)
        holds = self.all
        for fact, cond in atoms({key: value}):
            bit = self.where.get(repr(cond))
            if bit is not None:
                holds &= self.tested[bit]
                continue
            distribution = self.facts.get(fact)
            if distribution is None:
                raise _Unsupported(f"a condition reads {fact!r}, which the run does not compute")
            test = compile_condition(cond, frozenset({fact}))
            holds &= self._matching(distribution, lambda found, fact=fact, test=test: test({fact: found}, frozenset()))
        return holds


def _added(distribution: Distribution, points: int, holds: Bits) -> Distribution:
    """``distribution`` after ``points`` are added where ``holds``."""
    found: Distribution = {}
    for value, bits in distribution.items():
        for moved, where in ((value + points, bits & holds), (value, bits & ~holds)):
            if where:
                found[moved] = found.get(moved, 0) | where
    return found


def _bit_set(bit: int, width: int) -> Bits:
    """The combinations (of ``width`` bits) whose bit ``bit`` is set."""
    period = 1 << (bit + 1)
    pattern = ((1 << (1 << bit)) - 1) << (1 << bit)  # 2^bit zeros, then 2^bit ones (from bit 0 up)
    length = period
    while length < 1 << width:
        pattern |= pattern << length
        length *= 2
    return pattern


def _as_bytes(bits: Bits, size: int) -> bytes:
    """One byte per combination, 1 where ``bits`` holds it and 0 elsewhere."""
    return format(bits, f"0{size}b")[::-1].encode("ascii").translate(_ONES)


def _per_combination(weighted: list[tuple[Bits, int]], size: int) -> bytes:
    """One byte per combination: the sum of the weights of the sets that hold it (at most 255, so no byte carries into
    the next)."""
    total = sum(int.from_bytes(_as_bytes(bits, size), "little") * weight for bits, weight in weighted)
    return total.to_bytes(size, "little")


def build(ruleset: RuleSet, max_bits: int = MAX_TABLE_BITS) -> StrategyTable | None:
    """The table of ``ruleset``, or None when it has more than ``max_bits`` tests or a test the walk cannot
    evaluate."""
    codes = coding(ruleset)
    width = sum(codes.sizes)
    if width > max_bits:
        return None
    where = {
        key: offset + place
        for group, offset in zip(groups(ruleset), codes.offsets, strict=True)
        for place, key in enumerate(group.keys)
    }
    try:
        walk = _Walk(ruleset, where, width)
    except _Unsupported:
        return None
    ordered = [walk.by_strategy[strategy] for strategy in STRATEGIES]
    strategies = _per_combination([(bits, place) for place, bits in enumerate(ordered)], walk.size)
    reaches, keep = [], []
    for index, (offset, size) in enumerate(zip(codes.offsets, codes.sizes, strict=True)):
        cleared = walk.all  # the combinations with this group's bits all clear
        for bit in range(offset, offset + size):
            cleared &= ~walk.tested[bit]
        reach = [reduce(operator.or_, (bits >> (value << offset) for value in range(1 << size))) & cleared for bits in ordered]
        reaches.append(_per_combination([(bits, 1 << place) for place, bits in enumerate(reach)], walk.size))
        keep.append((walk.size - 1) & ~codes.mask(index))
    return StrategyTable(strategies, tuple(reaches), tuple(keep))


_ANSWERS: dict[str, Answers] = {}


def answers(ruleset: RuleSet) -> Answers:
    """Every combination's strategy and reach for ``ruleset``: its table, built at first use (~45 ms for 18 tests),
    else answered one by one."""
    found = _ANSWERS.get(ruleset.version)
    if found is None:
        found = _ANSWERS[ruleset.version] = build(ruleset) or OneByOne(ruleset)
    return found
