"""The strategy of a signature combination from the rules alone, and combinations as one int.

``signature_strategy`` evaluates the effective rules (rules/signatures.py) on a signature combination directly: each
atomic test the groups hold is read from the combination; the stage facts (scores, indicated) are computed as the
engine does. It answers for any combination, realised by a profile or not, so the what-if search (rules/whatif.py)
can tell, before deriving anything, that no change within a group can give a strategy still missing (ADR 0015).
``Coding`` packs a combination into one int (each group's tests at its own bits), a cheap memo key.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from rules.bounded import Bounded
from rules.conditions import Predicate, compile_condition, condition_source
from rules.evaluation import PROMPTING_BASELINE, choose_strategy
from rules.facts import Strategy
from rules.loading import RuleSet, atoms
from rules.model import STAGES, Stage
from rules.signatures import Signature, effective_rules, groups

SignaturePredicate = Callable[[tuple[Signature, ...], dict[str, Any], set[str]], bool]


Planned = tuple[tuple[SignaturePredicate, str, tuple[tuple[str, int], ...], tuple[str, ...]], ...]


@dataclass(frozen=True)
class _SignatureRules:
    plan: dict[Stage, Planned]
    by_code: Callable[[int], Strategy]  # the same evaluation generated as one function of the combination's code


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
    found = _SIGNATURE_RULES[ruleset.version] = _SignatureRules(plan, _generate(ruleset, where, effective))
    return found


def _code_source(when: Mapping[str, Any], bits: dict[str, int], constants: dict[str, Any]) -> str:
    """``_on_signatures(when)`` as one expression over ``code`` (a combination's int) and the run's ``facts`` and
    ``fired``: each atomic test a group holds read as its bit, the others as the engine reads them."""

    def all_of(parts: list[str]) -> str:
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"

    def key_source(key: str, value: Any) -> str:
        if key in ("all", "any"):
            items = [_code_source(item, bits, constants) for item in value]
            return "(" + (" and " if key == "all" else " or ").join(f"bool({item})" for item in items) + ")"
        if key == "not":
            return f"(not {_code_source(value, bits, constants)})"
        if key == "fired":
            name = f"_c{len(constants)}"
            constants[name] = value
            return f"({name} in fired)"
        tests = []
        for _, cond in atoms({key: value}):
            bit = bits.get(repr(cond))
            tests.append(f"(code >> {bit} & 1)" if bit is not None else condition_source(cond, constants))
        return all_of(tests)

    return all_of([key_source(key, value) for key, value in when.items()])


def _generate(ruleset: RuleSet, where: dict[str, tuple[int, int]], effective: set[str]) -> Callable[[int], Strategy]:
    """``_evaluate_signatures`` generated for a rules version: the same stages, rules, tests and order, reading the
    combination's code directly (no decoding, no closure per test)."""
    codes = coding(ruleset)
    bits = {key: codes.offsets[group] + index for key, (group, index) in where.items()}
    constants: dict[str, Any] = {"choose_strategy": choose_strategy}
    lines = ["def _strategy(code):", "    scores = {'prompting': PROMPTING_BASELINE, 'rag': 0, 'fine_tuning': 0}"]
    lines += ["    blocked = set()", "    fired = set()", "    facts = {}"]
    constants["PROMPTING_BASELINE"] = PROMPTING_BASELINE
    for stage in STAGES:
        if stage == "advice":
            continue
        if stage == "readiness":
            lines += ["    facts['prompting_score'], facts['rag_score'] = scores['prompting'], scores['rag']"]
            lines += ["    facts['fine_tuning_score'] = scores['fine_tuning']"]
        elif stage == "feasibility":
            lines += ["    facts['fine_tuning_indicated'] = scores['fine_tuning'] > 0 and 'fine_tuning' not in blocked"]
            lines += ["    facts['rag_indicated'] = scores['rag'] > 0 and 'rag' not in blocked"]
        for item, _, rule_id, score, block in ruleset.plan[stage]:
            if rule_id not in effective:
                continue
            lines += [f"    if {_code_source(item.rule.when, bits, constants)}:", f"        fired.add({rule_id!r})"]
            lines += [f"        scores[{lever!r}] += {int(points)!r}" for lever, points in score]
            lines += [f"        blocked.update({tuple(block)!r})"]
    lines += ["    rag = facts['rag_indicated'] and 'rag' not in blocked"]
    lines += ["    tuning = facts['fine_tuning_indicated'] and 'fine_tuning' not in blocked"]
    lines += ["    return choose_strategy(rag, tuning)"]
    namespace = dict(constants)
    exec(compile("\n".join(lines), "<signature rules>", "exec"), namespace)
    generated: Callable[[int], Strategy] = namespace["_strategy"]
    return generated


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
    memo: Bounded[int, Strategy]
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


# At most 2^(all tests) combinations; in practice the few thousand profiles realise and the signatures around them.
CODE_MEMO_LIMIT = 100_000


_CODINGS: dict[str, Coding] = {}


def coding(ruleset: RuleSet) -> Coding:
    found = _CODINGS.get(ruleset.version)
    if found is None:
        sizes = tuple(len(group.tests) for group in groups(ruleset))
        offsets = tuple(sum(sizes[:index]) for index in range(len(sizes)))
        found = _CODINGS[ruleset.version] = Coding(offsets, sizes, Bounded(CODE_MEMO_LIMIT))
    return found


def code_strategy(code: int, ruleset: RuleSet) -> Strategy:
    """``signature_strategy`` of an encoded combination (memoized per rules version by the code)."""
    codes = coding(ruleset)
    found = codes.memo.get(code)
    if found is None:
        found = codes.memo.put(code, _signature_rules(ruleset).by_code(code))
    return found
