"""The small condition language of a rule's ``when``, compiled once into a predicate.

A ``when`` is a mapping; all of its keys must hold:
- ``<fact>: <value>``                equality
- ``<fact>: {<op>: <value>, ...}``   ops: eq, ne, in, not_in, gt, gte, lt, lte
- ``all: [cond, ...]`` / ``any: [cond, ...]`` / ``not: cond``
- ``fired: <rule-id>``               that rule fired in an earlier stage
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence, Set
from typing import Any

Facts = Mapping[str, Any]
Predicate = Callable[[Facts, Set[str]], bool]

_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "in": lambda value, options: value in options,
    "not_in": lambda value, options: value not in options,
    "gt": operator.gt,
    "gte": operator.ge,
    "lt": operator.lt,
    "lte": operator.le,
}


class ConditionError(ValueError):
    """A ``when`` that does not follow the condition language."""


def compile_condition(when: Mapping[str, Any], known_facts: Set[str]) -> Predicate:
    """Compile ``when`` into a predicate over (facts, fired rule ids); unknown facts are errors."""
    if not isinstance(when, Mapping) or not when:
        raise ConditionError("a condition must be a non-empty mapping")
    return _all_of([_compile_key(key, value, known_facts) for key, value in when.items()])


def _all_of(parts: list[Predicate]) -> Predicate:
    # Specialised closures: rules run thousands of times per counterfactual search.
    if len(parts) == 1:
        return parts[0]
    if len(parts) == 2:
        first, second = parts
        return lambda facts, fired: first(facts, fired) and second(facts, fired)
    head, rest = parts[0], _all_of(parts[1:])
    return lambda facts, fired: head(facts, fired) and rest(facts, fired)


def _compile_list(key: str, value: Any, known: Set[str]) -> list[Predicate]:
    if not isinstance(value, list) or not value:
        raise ConditionError(f"'{key}' takes a non-empty list of conditions")
    return [compile_condition(item, known) for item in value]


def _compile_key(key: str, value: Any, known: Set[str]) -> Predicate:
    if key == "all":
        return _all_of(_compile_list(key, value, known))
    if key == "any":
        items = _compile_list(key, value, known)
        return lambda facts, fired: any(item(facts, fired) for item in items)
    if key == "not":
        inner = compile_condition(value, known)
        return lambda facts, fired: not inner(facts, fired)
    if key == "fired":
        if not isinstance(value, str):
            raise ConditionError("'fired' takes a rule id")
        return lambda facts, fired: value in fired
    if key not in known:
        raise ConditionError(f"unknown fact {key!r}; known facts: {', '.join(sorted(known))}")
    return _compile_match(key, value)


def _compile_match(fact: str, expected: Any) -> Predicate:
    if not isinstance(expected, Mapping):
        return lambda facts, fired: bool(facts[fact] == expected)
    if not expected:
        raise ConditionError(f"{fact!r} needs at least one operator")
    checks: list[Predicate] = []
    for op, operand in expected.items():
        if op not in _OPS:
            raise ConditionError(f"unknown operator {op!r} on {fact!r}; use one of {', '.join(_OPS)}")
        if op in ("in", "not_in") and not isinstance(operand, list):
            raise ConditionError(f"'{op}' on {fact!r} takes a list")
        checks.append(_check(fact, _OPS[op], frozenset(operand) if op in ("in", "not_in") else operand))
    return _all_of(checks)


def _check(fact: str, check: Callable[[Any, Any], bool], operand: Any) -> Predicate:
    return lambda facts, fired: check(facts[fact], operand)


_SOURCE_OPS = {"eq": "==", "ne": "!=", "in": "in", "not_in": "not in", "gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


def condition_source(when: Mapping[str, Any], constants: dict[str, Any]) -> str:
    """``when`` as one Python expression over ``facts`` and ``fired``; its constants are added to ``constants``."""

    def constant(value: Any) -> str:
        name = f"_c{len(constants)}"
        constants[name] = value
        return name

    def all_of(when: Mapping[str, Any]) -> str:
        parts = [key_source(key, value) for key, value in when.items()]
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"

    def key_source(key: str, value: Any) -> str:
        if key == "all":
            return "(" + " and ".join(all_of(item) for item in value) + ")"
        if key == "any":
            return "(" + " or ".join(f"bool({all_of(item)})" for item in value) + ")"
        if key == "not":
            return f"(not {all_of(value)})"
        if key == "fired":
            return f"({constant(value)} in fired)"
        fact = f"facts[{key!r}]"
        if not isinstance(value, Mapping):
            return f"bool({fact} == {constant(value)})"
        tests = []
        for op, operand in value.items():
            kept = frozenset(operand) if op in ("in", "not_in") else operand
            tests.append(f"({fact} {_SOURCE_OPS[op]} {constant(kept)})")
        return tests[0] if len(tests) == 1 else "(" + " and ".join(tests) + ")"

    return all_of(when)


def _generated(body: str, constants: dict[str, Any]) -> Any:
    return eval(compile(f"lambda facts, fired: {body}", "<rule condition>", "eval"), dict(constants))


def generate_tuple(conditions: Sequence[Mapping[str, Any]]) -> Callable[[Facts, Set[str]], tuple[Any, ...]]:
    """The results of several conditions as one tuple, from one generated function: for a group's signature."""
    constants: dict[str, Any] = {}
    parts = [condition_source(when, constants) for when in conditions]
    generated: Callable[[Facts, Set[str]], tuple[Any, ...]] = _generated("(" + "".join(f"{p}, " for p in parts) + ")", constants)
    return generated


# One rule of a stage as the engine runs it: (when, rule id, score items, blocked levers, what goes in the fired list).
StageRule = tuple[Mapping[str, Any], str, Sequence[tuple[str, int]], Sequence[str], Any]


def generate_stage(rules: Sequence[StageRule]) -> Callable[..., None]:
    """A stage of the rule pass as one generated function ``(facts, fired ids, fired list, scores, blocked)``: each
    rule in order, its condition inline; when it holds, its id and item are recorded, its points added to ``scores``
    and its blocks to ``blocked`` (rules/evaluation.py's loop, without a call or a tuple per rule)."""
    constants: dict[str, Any] = {}

    def constant(value: Any) -> str:
        name = f"_c{len(constants)}"
        constants[name] = value
        return name

    lines = ["def _stage(facts, fired, ran, scores, blocked):"]
    for when, rule_id, score, block, item in rules:
        rule = constant(rule_id)
        lines += [
            f"    if {condition_source(when, constants)}:",
            f"        fired.add({rule})",
            f"        ran.append({constant(item)})",
        ]
        lines += [f"        scores[{lever!r}] += {int(points)!r}" for lever, points in score]
        lines += [f"        blocked.setdefault({lever!r}, []).append({rule})" for lever in block]
    lines.append("    return None")
    namespace = dict(constants)
    exec(compile("\n".join(lines), "<rule stage>", "exec"), namespace)
    generated: Callable[..., None] = namespace["_stage"]
    return generated
