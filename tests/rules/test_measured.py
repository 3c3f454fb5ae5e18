"""A measurement against a target: works, insufficient or inconclusive, worded in English and Hebrew."""

from __future__ import annotations

import pytest

from rules.measured import DEFAULT_TARGET, Measurement, Score, read

FEW = Score("few_shot", 100, 0.82, 0.7333, 0.8831)
ZERO = Score("zero_shot", 100, 0.61, 0.5122, 0.7003)


def test_the_default_target_is_stated_and_an_interval_across_it_is_inconclusive() -> None:
    reading = read(Measurement("e1", (ZERO, FEW)), None, "en")
    assert reading is not None and DEFAULT_TARGET == 0.8
    assert reading.outcome == "inconclusive" and reading.status is None
    assert reading.reason.because.startswith(
        "measured: few-shot 0.82 [0.73, 0.88] vs zero-shot 0.61. The target accuracy is 0.80 (the default"
    )
    assert reading.reason.guide == "s6-evaluation" and "100 items" in reading.next_step


@pytest.mark.parametrize(
    ("target", "outcome"), [(0.7, "works"), (0.7333, "works"), (0.9, "insufficient"), (0.8831, "inconclusive")]
)
def test_the_bounds_decide(target: float, outcome: str) -> None:
    reading = read(Measurement("e1", (FEW, ZERO)), target, "en")
    assert reading is not None and reading.outcome == outcome
    assert reading.status == (None if outcome == "inconclusive" else outcome)
    assert "(the default" not in reading.reason.because


def test_only_prompting_candidates_decide_prompting() -> None:
    assert read(Measurement("e1", (Score("grounded", 50, 0.9, 0.8, 0.95),)), 0.5, "en") is None
    tuned = Score("tuned:ft:gpt-4.1-mini:acme::1", 50, 0.99, 0.9, 1.0)
    reading = read(Measurement("e1", (ZERO, tuned)), 0.8, "en")
    # A tuned model's 0.99 says nothing for prompting: zero-shot's upper bound is under the target.
    assert reading is not None and reading.outcome == "insufficient"
    assert reading.reason.because.startswith("measured: zero-shot 0.61 [0.51, 0.70] vs ft:gpt-4.1-mini:acme::1 0.99.")


def test_hebrew() -> None:
    reading = read(Measurement("e1", (FEW, ZERO)), 0.95, "he")
    assert reading is not None and reading.outcome == "insufficient"
    assert reading.reason.title == "נמדד על סט ההערכה שלכם"
    assert reading.reason.because.startswith("נמדד: עם דוגמאות (few-shot) 0.82 [0.73, 0.88] לעומת ללא דוגמאות (zero-shot) 0.61.")
    assert "ההנחיות אינן מספיקות" in reading.reason.because and "מודל מכוונן" in reading.next_step


GROUNDED = Score("grounded", 100, 0.7, 0.6, 0.78)
TUNED = Score("tuned:ft:gpt-4.1-mini:acme::1", 100, 0.75, 0.65, 0.79)


@pytest.mark.parametrize(
    ("scores", "step"),
    [
        ((ZERO,), "Try few-shot next: build a prompt from your examples"),
        ((ZERO, FEW), "Even with examples prompting falls short: pilot a grounded prompt (knowledge_base)"),
        ((ZERO, FEW, GROUNDED), "Prompting and retrieval fall short: tune a model on your examples"),
        ((ZERO, FEW, GROUNDED, TUNED), "Prompting falls short on every candidate tried"),
    ],
)
def test_below_the_target_the_next_step_is_the_next_lever_not_yet_measured(scores: tuple[Score, ...], step: str) -> None:
    reading = read(Measurement("e1", scores), 0.95, "en")
    assert reading is not None and reading.outcome == "insufficient"
    assert reading.next_step.startswith(step)


def test_at_the_target_the_next_step_is_to_ship_the_prompt() -> None:
    reading = read(Measurement("e1", (ZERO, FEW)), 0.7, "he")
    assert reading is not None and reading.outcome == "works"
    assert reading.next_step.startswith("העלו את עם דוגמאות (few-shot) לשימוש")
    english = read(Measurement("e1", (ZERO, FEW)), 0.7, "en")
    assert english is not None and english.next_step.startswith("Ship few-shot: it meets the target.")


def test_the_measured_reason_is_listed_as_a_rule_in_both_languages() -> None:
    from rules.checks import check_rules
    from rules.measured import RULE

    assert RULE.id == "measured" and RULE.guide == "s6-evaluation" and RULE.stage == "signal"
    assert len(RULE.then.next_steps) == 6 and all(step.text.he for step in RULE.then.next_steps)
    _count, problems = check_rules()
    assert not [problem for problem in problems if "measured" in problem]
