"""Graders and the Wilson interval: known values, and properties over open-ended text."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.experiments.graders import cosine, first_number, grade, normalise
from service.experiments.schemas import (
    EmbeddingGrader,
    ExactGrader,
    JsonSchemaGrader,
    LabelGrader,
    NumericGrader,
    RegexGrader,
)
from service.experiments.stats import median, wilson


@pytest.mark.parametrize(
    ("correct", "n", "low", "high"),
    [
        # The roots of (k/n - p)² = z²·p(1-p)/n, found by bisection with scipy's z (an independent route to the bounds).
        (8, 10, 0.4901624, 0.9433178),
        (0, 10, 0.0, 0.2775328),
        (10, 10, 0.7224672, 1.0),
        (41, 50, 0.6920395, 0.9022981),
        (1, 1, 0.2065493, 1.0),
        (50, 100, 0.4038315, 0.5961685),
    ],
)
def test_wilson_known_values(correct: int, n: int, low: float, high: float) -> None:
    got = wilson(correct, n)
    assert got[0] == pytest.approx(low, abs=1e-6)
    assert got[1] == pytest.approx(high, abs=1e-6)


@given(st.integers(1, 5000).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n))))
def test_wilson_holds_the_estimate(case: tuple[int, int]) -> None:
    correct, n = case
    low, high = wilson(correct, n)
    assert 0 <= low <= correct / n <= high <= 1
    assert (low == 0) == (correct == 0) and (high == 1) == (correct == n)


def test_wilson_without_items_knows_nothing() -> None:
    assert wilson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        wilson(3, 2)


def test_median() -> None:
    assert median([]) is None
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("Billing.", "billing"),
        ("  BILLING  ", "billing"),
        ('"billing"', "Billing"),
        ("billing\n\n", "billing!"),
        ("Ｂilling", "billing"),
    ],
)
def test_exact_normalises(output: str, expected: str) -> None:
    assert grade(ExactGrader(), output, expected).correct


def test_exact_keeps_words() -> None:
    assert not grade(ExactGrader(), "billing issue", "billing").correct
    assert not grade(ExactGrader(), "bill ing", "billing").correct


@given(st.text(max_size=40))
def test_normalise_is_idempotent(text: str) -> None:
    assert normalise(normalise(text)) == normalise(text)


def test_label_set() -> None:
    spec = LabelGrader(labels=["billing", "shipping", "other"])
    assert grade(spec, "Billing", "billing") == grade(spec, "The category is billing.", "billing")
    assert grade(spec, "The category is billing.", "billing").correct
    assert not grade(spec, "shipping", "billing").correct
    several = grade(spec, "billing or shipping", "billing")
    assert not several.correct and several.detail == "names several labels"
    assert grade(spec, "refund", "billing").detail == "names no label of the set"
    assert not grade(spec, "billingshipping", "billing").correct


def test_json_schema() -> None:
    schema = {"type": "object", "required": ["label"], "properties": {"label": {"enum": ["a", "b"]}}}
    spec = JsonSchemaGrader(json_schema=schema)
    assert grade(spec, '{"label": "a"}', "").correct
    assert grade(spec, '```json\n{"label": "b"}\n```', "").correct
    wrong = grade(spec, '{"label": "c"}', "")
    assert not wrong.correct and wrong.detail is not None and wrong.detail.startswith("label:")
    assert grade(spec, "label: a", "").detail == "not JSON"
    matching = JsonSchemaGrader(json_schema=schema, match_expected=True)
    assert grade(matching, '{"label":"a"}', '{"label": "a"}').correct
    assert not grade(matching, '{"label":"b"}', '{"label": "a"}').correct


def test_regex() -> None:
    assert grade(RegexGrader(pattern=r"\bINV-\d{4}\b"), "see INV-1234 please", "").correct
    assert not grade(RegexGrader(pattern=r"\bINV-\d{4}\b"), "see INV-12", "").correct
    assert grade(RegexGrader(ignore_case=True), "Yes, refund it", r"^yes\b").correct


@pytest.mark.parametrize(
    ("output", "expected", "spec", "correct"),
    [
        ("The total is 1,234.5 USD", "1234.5", NumericGrader(), True),
        ("about 99", "100", NumericGrader(tolerance=1), True),
        ("about 98.9", "100", NumericGrader(tolerance=1), False),
        ("105", "100", NumericGrader(tolerance=0.05, relative=True), True),
        ("106", "100", NumericGrader(tolerance=0.05, relative=True), False),
        ("−3", "-3", NumericGrader(), True),
        ("none", "3", NumericGrader(), False),
    ],
)
def test_numeric(output: str, expected: str, spec: NumericGrader, correct: bool) -> None:
    assert grade(spec, output, expected).correct is correct


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9))
def test_first_number_reads_what_python_writes(value: float) -> None:
    found = first_number(f"answer: {value!r}")
    assert found is not None and math.isclose(found, value, rel_tol=1e-12, abs_tol=1e-12)


def test_embedding_uses_the_similarity_it_is_given() -> None:
    vectors = {"cat": [1.0, 0.0], "kitten": [0.9, 0.1], "car": [0.0, 1.0]}

    def similarity(a: str, b: str) -> float:
        return cosine(vectors[a], vectors[b])

    spec = EmbeddingGrader(threshold=0.9)
    assert grade(spec, "kitten", "cat", similarity).correct
    miss = grade(spec, "car", "cat", similarity)
    assert not miss.correct and miss.detail == "similarity 0.000"
    with pytest.raises(ValueError):
        grade(spec, "kitten", "cat")
