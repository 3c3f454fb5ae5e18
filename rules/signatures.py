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

from rules.conditions import Predicate, compile_condition
from rules.derived import DERIVED, DERIVED_BY_NAME
from rules.evaluation import PROMPTING_BASELINE, choose_strategy, evaluate
from rules.facts import Profile, Strategy
from rules.loading import RULE_FACTS, RuleSet, atoms
from rules.model import STAGES, Lever, Rule, Stage

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


def _inputs(fact: str) -> tuple[str, ...]:
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
        first, *rest = _inputs(fact)
        for name in rest:
            owner[root(name)] = root(first)
        owner.setdefault(first, first)
    members: dict[str, list[str]] = {}
    for name in Profile.model_fields:
        if name in owner or any(name in _inputs(fact) for fact, _ in tests.values()):
            members.setdefault(root(name), []).append(name)
    result = tuple(
        Group(
            fields=tuple(names),
            tests=tuple(compile_condition(cond, known) for fact, cond in tests.values() if set(_inputs(fact)) <= set(names)),
            reads=tuple(dict.fromkeys(fact for fact, _ in tests.values() if set(_inputs(fact)) <= set(names))),
            keys=tuple(key for key, (fact, _) in tests.items() if set(_inputs(fact)) <= set(names)),
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


# The strategy of any signature combination, realisable or not, from the effective rules alone: each atomic test
# the groups hold is read from the combination; the stage facts (scores, indicated) are computed as the engine does.
# It answers what no assignment of fields has shown yet, so the what-if search can tell, before deriving anything,
# that no change within a group can reach the strategies still missing (rules/whatif.py).
SignaturePredicate = Callable[[tuple[Signature, ...], dict[str, Any], set[str]], bool]


Planned = tuple[tuple[SignaturePredicate, str, tuple[tuple[str, int], ...], tuple[str, ...]], ...]


@dataclass(frozen=True)
class _SignatureRules:
    plan: dict[Stage, Planned]


def _on_signatures(when: Mapping[str, Any], where: dict[str, tuple[int, int]]) -> SignaturePredicate:
    return _all_of([_signature_key(key, value, where) for key, value in when.items()])


def _all_of(parts: list[SignaturePredicate]) -> SignaturePredicate:
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda sigs, facts, fired: first(sigs, facts, fired) and second(sigs, facts, fired)
    return lambda sigs, facts, fired: all(part(sigs, facts, fired) for part in parts)


def _signature_key(key: str, value: Any, where: dict[str, tuple[int, int]]) -> SignaturePredicate:
    if key in ("all", "any"):
        items = [_on_signatures(item, where) for item in value]
        join = all if key == "all" else any
        return lambda sigs, facts, fired: join(item(sigs, facts, fired) for item in items)
    if key == "not":
        inner = _on_signatures(value, where)
        return lambda sigs, facts, fired: not inner(sigs, facts, fired)
    if key == "fired":
        return lambda sigs, facts, fired: value in fired
    tests: list[SignaturePredicate] = []
    for fact, cond in atoms({key: value}):
        place = where.get(repr(cond))
        if place is None:  # a fact of the run itself (a score, indicated): read as the engine reads it
            tests.append(_of_run(compile_condition(cond, frozenset({fact}))))
        else:
            tests.append(_of_signature(*place))
    return _all_of(tests)


def _of_run(test: Predicate) -> SignaturePredicate:
    return lambda sigs, facts, fired: test(facts, fired)


def _of_signature(group: int, index: int) -> SignaturePredicate:
    return lambda sigs, facts, fired: sigs[group][index]


_SIGNATURE_RULES: dict[str, _SignatureRules] = {}


def _signature_rules(ruleset: RuleSet) -> _SignatureRules:
    found = _SIGNATURE_RULES.get(ruleset.version)
    if found is not None:
        return found
    where = {}
    for group_index, group in enumerate(groups(ruleset)):
        for index, key in enumerate(group.keys):
            where[key] = (group_index, index)
    effective = {rule.id for rule in effective_rules(ruleset)}
    plan: dict[Stage, Planned] = {
        stage: tuple(
            (_on_signatures(item.rule.when, where), rule_id, score, block)
            for item, _, rule_id, score, block in ruleset.plan[stage]
            if rule_id in effective
        )
        for stage in STAGES
        if stage != "advice"
    }
    found = _SIGNATURE_RULES[ruleset.version] = _SignatureRules(plan)
    return found


def signature_strategy(combination: tuple[Signature, ...], ruleset: RuleSet) -> Strategy:
    """The strategy the rules give any profile with these signatures (memoized per rules version, by code)."""
    return code_strategy(coding(ruleset).encode(combination), ruleset)


def _evaluate_signatures(combination: tuple[Signature, ...], ruleset: RuleSet) -> Strategy:
    rules = _signature_rules(ruleset)
    scores = {"prompting": PROMPTING_BASELINE, "rag": 0, "fine_tuning": 0}
    blocked: set[str] = set()
    fired: set[str] = set()
    facts: dict[str, Any] = {}
    for stage, planned in rules.plan.items():
        if stage == "readiness":
            facts["prompting_score"], facts["rag_score"] = scores["prompting"], scores["rag"]
            facts["fine_tuning_score"] = scores["fine_tuning"]
        elif stage == "feasibility":
            facts["fine_tuning_indicated"] = scores["fine_tuning"] > 0 and "fine_tuning" not in blocked
            facts["rag_indicated"] = scores["rag"] > 0 and "rag" not in blocked
        for predicate, rule_id, score, block in planned:
            if predicate(combination, facts, fired):
                fired.add(rule_id)
                for lever, points in score:
                    scores[lever] += points
                blocked.update(block)
    rag = facts["rag_indicated"] and "rag" not in blocked
    tuning = facts["fine_tuning_indicated"] and "fine_tuning" not in blocked
    return choose_strategy(rag, tuning)


@dataclass(frozen=True)
class Coding:
    """A signature combination as one int (each group's tests at its own bits): a cheap key for the what-if search."""

    offsets: tuple[int, ...]
    sizes: tuple[int, ...]
    memo: dict[int, Strategy]
    _bits: dict[tuple[int, Signature], int] = field(default_factory=dict)

    def bits(self, index: int, sig: Signature) -> int:
        found = self._bits.get((index, sig))
        if found is None:
            offset = self.offsets[index]
            found = self._bits[index, sig] = sum(1 << (offset + place) for place, outcome in enumerate(sig) if outcome)
        return found

    def mask(self, index: int) -> int:
        return ((1 << self.sizes[index]) - 1) << self.offsets[index]

    def encode(self, combination: tuple[Signature, ...]) -> int:
        return sum(self.bits(index, sig) for index, sig in enumerate(combination))

    def decode(self, code: int) -> tuple[Signature, ...]:
        return tuple(
            tuple(bool(code >> (offset + place) & 1) for place in range(size))
            for offset, size in zip(self.offsets, self.sizes, strict=True)
        )


_CODINGS: dict[str, Coding] = {}


def coding(ruleset: RuleSet) -> Coding:
    found = _CODINGS.get(ruleset.version)
    if found is None:
        sizes = tuple(len(group.tests) for group in groups(ruleset))
        offsets = tuple(sum(sizes[:index]) for index in range(len(sizes)))
        found = _CODINGS[ruleset.version] = Coding(offsets, sizes, {})
    return found


# At most 2^(all tests) combinations; in practice the few thousand profiles realise and the signatures around them.
CODE_MEMO_LIMIT = 100_000


def code_strategy(code: int, ruleset: RuleSet) -> Strategy:
    """``signature_strategy`` of an encoded combination (memoized per rules version by the code)."""
    codes = coding(ruleset)
    found = codes.memo.get(code)
    if found is None:
        if len(codes.memo) >= CODE_MEMO_LIMIT:
            codes.memo.clear()
        found = codes.memo[code] = _evaluate_signatures(codes.decode(code), ruleset)
    return found
