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
