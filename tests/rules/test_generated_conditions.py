"""The generated rule pass and group tests (rules/conditions.py) answer exactly as the compiled conditions.

The engine runs each stage as one generated function (``RuleSet.passes``) and the what-if search evaluates a group's
tests with one generated function (``Group.evaluate``), ADR 0021. ``compile_condition``'s closures and the plain loop
over ``RuleSet.plan`` stay the reference: both are checked on random profiles' facts. The signature-level rules
(rules/signature_rules.py) are generated too, reading a combination's code: checked against their closures.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.loader import default_catalog
from rules.conditions import compile_condition, generate_stage
from rules.derived import derive_facts
from rules.evaluation import choose_strategy, evaluate
from rules.facts import Profile
from rules.loading import RuleSet, default_rules
from rules.model import STAGES
from rules.signature_rules import _evaluate_signatures, _signature_rules, coding
from rules.signatures import NOTHING_FIRED, groups, signature
from tests.rules.test_properties import DAYS, profiles

RULES = default_rules()


def _reference(facts: dict[str, Any], ruleset: RuleSet) -> tuple[list[str], dict[str, int], dict[str, list[str]], dict[str, Any]]:
    """The rule pass as a plain loop over the compiled predicates (the engine before ADR 0021)."""
    scores = {"prompting": 1, "rag": 0, "fine_tuning": 0}
    blocked: dict[str, list[str]] = {}
    fired: set[str] = set()
    ran: list[str] = []
    for stage in STAGES:
        if stage == "readiness":
            facts["prompting_score"], facts["rag_score"] = scores["prompting"], scores["rag"]
            facts["fine_tuning_score"] = scores["fine_tuning"]
        elif stage == "feasibility":
            facts["fine_tuning_indicated"] = scores["fine_tuning"] > 0 and "fine_tuning" not in blocked
            facts["rag_indicated"] = scores["rag"] > 0 and "rag" not in blocked
        elif stage == "advice":
            facts["fine_tuning_chosen"] = facts["fine_tuning_indicated"] and "fine_tuning" not in blocked
            facts["rag_chosen"] = facts["rag_indicated"] and "rag" not in blocked
            facts["strategy"] = choose_strategy(facts["rag_chosen"], facts["fine_tuning_chosen"])
        for _, predicate, rule_id, score, block in ruleset.plan[stage]:
            if predicate(facts, fired):
                fired.add(rule_id)
                ran.append(rule_id)
                for lever, points in score:
                    scores[lever] += points
                for lever in block:
                    blocked.setdefault(lever, []).append(rule_id)
    return ran, scores, blocked, facts


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles, st.sampled_from(DAYS))
def test_the_generated_rule_pass_is_the_plain_loop(profile: Profile, today: dt.date) -> None:
    facts = derive_facts(profile.model_dump(), default_catalog(), today)
    ran, scores, blocked, want = _reference(dict(facts), RULES)
    run = evaluate(dict(facts), RULES)
    assert [item.rule.id for item in run.fired] == ran
    assert (run.scores, run.blocked) == (scores, blocked)
    assert run.facts == want


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
        assert compile_condition(when, frozenset(facts))(facts, fired) is want
        scores = {"rag": 0}
        blocked: dict[str, list[str]] = {}
        ran: list[str] = []
        generate_stage([(when, "this", [("rag", 2)], ["fine_tuning"], "item")])(facts, set(fired), ran, scores, blocked)
        assert (ran, scores, blocked) == ((["item"], {"rag": 2}, {"fine_tuning": ["this"]}) if want else ([], {"rag": 0}, {}))


def test_the_generated_signature_rules_give_the_signature_level_strategy() -> None:
    """``code_strategy`` evaluates a combination with generated code reading the code's bits; the closures over the
    decoded combination (``_evaluate_signatures``) are the reference, on a seeded sample of all combinations."""
    codes = coding(RULES)
    width = sum(codes.sizes)
    generated = _signature_rules(RULES).by_code
    rng = random.Random(21)
    sample = [0, (1 << width) - 1, *(rng.getrandbits(width) for _ in range(4000))]
    wrong = [code for code in sample if generated(code) != _evaluate_signatures(codes.decode(code), RULES)]
    assert not wrong
    assert len({generated(code) for code in sample}) == 4  # every strategy occurs: the sample is not trivial
