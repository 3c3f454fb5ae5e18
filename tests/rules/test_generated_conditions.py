"""The generated rule conditions (rules/conditions.py) answer exactly as the compiled ones they stand in for.

The engine's rule pass and the what-if search's group signatures use one generated Python expression per condition
(ADR 0021); ``compile_condition``'s closures stay the reference. Every rule, and every group's tests, are checked on
random profiles' facts, with random sets of rules already fired.
"""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.loader import default_catalog
from rules.conditions import compile_condition, generate_predicate, generate_tuple
from rules.derived import derive_facts
from rules.evaluation import evaluate
from rules.facts import Profile
from rules.loading import default_rules
from rules.signatures import NOTHING_FIRED, groups, signature
from tests.rules.test_properties import DAYS, profiles

RULES = default_rules()
RULE_IDS = sorted(item.rule.id for item in RULES.rules)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles, st.sampled_from(DAYS), st.frozensets(st.sampled_from(RULE_IDS)))
def test_generated_rule_conditions_answer_as_the_compiled_ones(profile: Profile, today: dt.date, fired: frozenset[str]) -> None:
    facts = evaluate(derive_facts(profile.model_dump(), default_catalog(), today), RULES).facts  # with the stage facts
    for item, generated, *_ in (entry for stage in RULES.plan.values() for entry in stage):
        assert bool(generated(facts, fired)) == bool(item.predicate(facts, fired)), item.rule.id


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles, st.sampled_from(DAYS))
def test_generated_group_tests_give_the_compiled_signature(profile: Profile, today: dt.date) -> None:
    facts = derive_facts(profile.model_dump(), default_catalog(), today)
    for group in groups(RULES):
        by_test = tuple(test(facts, NOTHING_FIRED) for test in group.tests)
        got = signature(group, facts)
        assert got == by_test
        assert [type(outcome) for outcome in got] == [type(outcome) for outcome in by_test]


def test_generated_conditions_keep_the_condition_language() -> None:
    facts = {"a": 3, "b": "x", "c": True}
    cases = [
        ({"a": 3}, set(), True),
        ({"a": {"gt": 2, "lt": 3}}, set(), False),
        ({"a": {"gte": 3, "lte": 3, "ne": 4}}, set(), True),
        ({"b": {"in": ["x", "y"]}, "c": True}, set(), True),
        ({"b": {"not_in": ["x"]}}, set(), False),
        ({"any": [{"a": 1}, {"fired": "r"}]}, {"r"}, True),
        ({"any": [{"a": 1}, {"fired": "r"}]}, set(), False),
        ({"all": [{"a": 3}, {"not": {"c": False}}]}, set(), True),
        ({"not": {"all": [{"a": 3}, {"b": "x"}]}}, set(), False),
    ]
    for when, fired, want in cases:
        compiled = compile_condition(when, frozenset(facts))
        assert compiled(facts, fired) is want
        assert bool(generate_predicate(when)(facts, fired)) is want
    assert generate_tuple([{"a": 3}, {"b": "y"}, {"a": {"gt": 1}}])(facts, NOTHING_FIRED) == (True, False, True)
