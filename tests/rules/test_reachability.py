"""The early stop is sound and exact: asking only what can matter gives the full profile's strategy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any, Literal, get_args, get_origin

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.loader import default_catalog
from rules.derived import DERIVED, DERIVED_BY_NAME, derive_facts
from rules.engine import decide
from rules.evaluation import run_rules
from rules.facts import Profile, Strategy
from rules.loading import default_rules, known_facts
from rules.reachability import candidates, numeric_grid
from rules.reachability import open_questions as plan
from service.questionnaire.questions import field_order
from tests.conftest import TODAY, load_scenarios

ORDER = field_order()  # the questionnaire's asking order
# After OpenAI's tuning wind-down date the same answers can need other questions.
DAYS = (TODAY, dt.date(2027, 2, 1))
MODEL_IDS = sorted({model.id for entry in default_catalog().providers.values() for model in entry.models})


def most(name: str) -> int:
    """The largest value a count field accepts."""
    return min(getattr(item, "le", 10**8) for item in [*Profile.model_fields[name].metadata, None])


def _field_strategy(name: str) -> st.SearchStrategy[Any]:
    """Any valid value of a profile field, built from its annotation so a new field is covered too."""
    annotation = Profile.model_fields[name].annotation
    if name == "model":
        return st.one_of(st.none(), st.sampled_from(MODEL_IDS), st.text(max_size=8))
    if get_origin(annotation) is Literal:
        return st.sampled_from(get_args(annotation))
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        # Mostly near the thresholds, sometimes anywhere the field allows.
        return st.one_of(st.integers(0, 300), st.integers(0, 20_000), st.integers(0, most(name)))
    return st.text(min_size=1, max_size=20)


def _own_model(profile: dict[str, Any]) -> dict[str, Any]:
    """A model named for another provider is refused (422), not asked about: keep only the provider's own or unknown ids."""
    entry = default_catalog().providers.get(profile["provider"])
    foreign = profile["model"] in MODEL_IDS and (entry is None or entry.model(profile["model"]) is None)
    return {**profile, "model": None} if foreign else profile


profiles = st.fixed_dictionaries({name: _field_strategy(name) for name in Profile.model_fields}).map(_own_model)


def walk(profile: Mapping[str, Any], today: dt.date) -> tuple[list[str], Strategy]:
    """Answer whatever is asked from ``profile`` until the plan stops; the questions asked and the strategy."""
    answers: dict[str, Any] = {"task": profile["task"]}
    asked = ["task"]
    while True:
        current = plan(answers, ORDER, today)
        if current.next is None:
            assert current.strategy is not None
            return asked, current.strategy
        assert current.next not in answers, "a question is never asked twice"
        answers[current.next] = profile.get(current.next, Profile.model_fields[current.next].default)
        asked.append(current.next)


def full_strategy(profile: Mapping[str, Any], today: dt.date) -> Strategy:
    return decide(Profile.model_validate(profile), default_catalog(), today=today, with_counterfactuals=False).strategy


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles, st.sampled_from(DAYS))
def test_early_stop_gives_the_full_profiles_strategy(profile: dict[str, Any], today: dt.date) -> None:
    asked, strategy = walk(profile, today)
    assert strategy == full_strategy(profile, today)
    assert len(asked) <= len(Profile.model_fields)


# Where the economics decide: prompting works, so tuning needs the monthly saving to pass its threshold.
log_counts = st.integers(0, 9).flatmap(lambda digits: st.integers(0, 10**digits))
on_the_fence = profiles.map(
    lambda p: {**p, "prompting_status": "works", "examples": 1000, "example_quality": "high", "needs_external_knowledge": False}
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(on_the_fence, log_counts.filter(lambda n: n <= most("prompt_tokens")), log_counts)
def test_early_stop_is_sound_where_the_saving_decides(profile: dict[str, Any], tokens: int, requests: int) -> None:
    profile = {**profile, "prompt_tokens": tokens, "requests_per_day": requests}
    _, strategy = walk(profile, TODAY)
    assert strategy == full_strategy(profile, TODAY)


@pytest.mark.parametrize(
    ("tokens", "requests", "expected"),
    [(100, 10**7, "fine_tuning"), (100, 10**6, "prompting"), (20, 10**8, "prompting"), (10**7, 3, "prompting")],
)
def test_traffic_beyond_the_counterfactual_grid_is_asked(tokens: int, requests: int, expected: Strategy) -> None:
    profile = {
        "task": "Label tickets",
        "provider": "google",
        "examples": 1000,
        "example_quality": "high",
        "narrow_task": True,
        "prompting_status": "works",
        "prompt_tokens": tokens,
        "requests_per_day": requests,
    }
    asked, strategy = walk(profile, TODAY)
    assert strategy == expected == full_strategy(profile, TODAY)
    assert "prompt_tokens" in asked


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles.map(lambda p: {**p, "examples": 0}), st.sampled_from(DAYS))
def test_no_quality_question_without_examples(profile: dict[str, Any], today: dt.date) -> None:
    asked, strategy = walk(profile, today)
    if "examples" in asked:
        assert asked.index("examples") < len(asked)
    assert "example_quality" not in asked
    assert strategy == full_strategy(profile, today)


def test_public_scenarios_take_fewer_questions_than_fields() -> None:
    counts = []
    for case in load_scenarios():
        asked, strategy = walk(case["profile"], TODAY)
        assert strategy == case["expect"]["strategy"], case["id"]
        counts.append(len(asked))
    # Measured 6.25 of 15 when written; every field would be 15.
    assert sum(counts) / len(counts) < len(Profile.model_fields) / 2
    assert max(counts) < len(Profile.model_fields)


def test_model_is_never_needed_to_finish() -> None:
    for case in load_scenarios():
        asked, _ = walk(case["profile"], TODAY)
        assert "model" not in asked, case["id"]


def _completions(fields: list[str], values: dict[str, Any], today: dt.date) -> Iterator[dict[str, Any]]:
    if not fields:
        yield {}
        return
    for value in candidates(fields[0], values, default_catalog(), today=today):
        for rest in _completions(fields[1:], {**values, fields[0]: value}, today):
            yield {fields[0]: value, **rest}


def _brute_strategies(answers: dict[str, Any], free: list[str], today: dt.date) -> dict[tuple[Any, ...], Strategy]:
    """The strategy of every grid completion of ``answers``, by plain enumeration of raw values."""
    base = {**Profile.model_validate({"task": "t"}).model_dump(), **answers}
    out = {}
    for completion in _completions(free, base, today):
        values = {**base, **completion}
        out[tuple(completion.values())] = run_rules(values, default_catalog(), default_rules(), today).strategy
    return out


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles, st.sets(st.sampled_from(ORDER[1:]), min_size=1, max_size=3), st.sampled_from(DAYS))
def test_plan_matches_brute_force_over_the_grid(profile: dict[str, Any], unanswered: set[str], today: dt.date) -> None:
    """Exactness: done exactly when every grid completion agrees; an open field has a witness that it matters."""
    free = [name for name in Profile.model_fields if name in unanswered]
    answers = {name: value for name, value in profile.items() if name not in unanswered}
    strategies = _brute_strategies(answers, free, today)
    current = plan(answers, ORDER, today)
    assert (not current.open) == (len(set(strategies.values())) == 1)
    for name in current.open:
        position = free.index(name)
        by_rest: dict[tuple[Any, ...], set[Strategy]] = {}
        for key, strategy in strategies.items():
            by_rest.setdefault(key[:position] + key[position + 1 :], set()).add(strategy)
        assert any(len(found) > 1 for found in by_rest.values()), f"{name} is asked but cannot matter"
    for name in set(free) - set(current.open):
        position = free.index(name)
        by_rest = {}
        for key, strategy in strategies.items():
            by_rest.setdefault(key[:position] + key[position + 1 :], set()).add(strategy)
        assert all(len(found) == 1 for found in by_rest.values()), f"{name} is skipped but could matter"


def test_every_derived_fact_is_known_to_the_rules_and_reads_real_fields() -> None:
    assert set(DERIVED_BY_NAME) <= known_facts("signal")
    for fact in DERIVED:
        assert fact.inputs and set(fact.inputs) <= set(Profile.model_fields) - {"task"}, fact.name
        assert fact.meaning.strip(), fact.name


def test_thresholds_come_from_the_rules() -> None:
    """The grid holds each side of every threshold a rule sets, with no hand-kept list of numbers."""
    grid = numeric_grid(default_rules())
    # too-little-data: usable_examples < 100, at weight 1 (high) and 0.5 (mixed, unknown)
    assert {99, 100, 199, 200} <= grid["examples"]
    # low-quality-data: examples > 0
    assert {0, 1} <= grid["examples"]
    # shorter-prompts-pay: monthly_saving_usd >= 500 reaches both sides through the traffic and prompt extremes
    assert {0, 10**9} <= grid["requests_per_day"] and {0, 10**9} <= grid["prompt_tokens"]


@settings(max_examples=60, deadline=None)
@given(profiles, st.sampled_from([name for name in Profile.model_fields if name != "task"]))
def test_derived_facts_do_not_depend_on_undeclared_fields(profile: dict[str, Any], name: str) -> None:
    base = Profile.model_validate(profile).model_dump()
    before = derive_facts(base, default_catalog(), TODAY)
    for value in candidates(name, base, default_catalog(), today=TODAY):
        after = derive_facts({**base, name: value}, default_catalog(), TODAY)
        for fact in DERIVED:
            if name not in fact.inputs:
                assert after[fact.name] == before[fact.name], (fact.name, name, value)
