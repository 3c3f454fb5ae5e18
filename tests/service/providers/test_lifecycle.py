"""Dates in specs and requests: days left and a concrete alternative near an end, 422 for a dead model."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.artifacts.tuning_spec import build_tuning_spec
from service.config import Settings
from service.main import create_app
from service.providers.lifecycle import lifecycle_notice

TODAY = dt.date(2026, 11, 24)


@pytest.fixture
def clock() -> list[dt.date]:
    return [TODAY]


@pytest.fixture
def api(tmp_path: Path, clock: list[dt.date]) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path / "data"), clock=lambda: clock[0])
    with TestClient(app) as client:
        yield client
    app.state.database.dispose()


def test_an_openai_spec_near_the_end_carries_days_left_and_a_vertex_alternative(api: TestClient) -> None:
    spec = api.post("/v1/tuning-jobs", json={"provider": "openai", "examples": 500}).json()["spec"]
    assert spec["supported"] is True and spec["model"] == "gpt-4.1-mini"
    assert [(d["date"], d["days_left"]) for d in spec["deadlines"]] == [("2027-01-06", 43), ("2027-01-14", 51)]
    assert "OpenAI stops accepting new fine-tuning jobs on 2027-01-06 (43 days left)" in spec["notices"]
    assert spec["alternative_target"] == {
        "provider": "google",
        "model": "gemini-3.5-flash-lite",
        "training_format": "gemini_contents",
        "convert_command": "advisor data convert train.jsonl --to gemini_contents -o converted/",
    }
    assert "gemini-3.5-flash-lite" in spec["alternative"] and "--to gemini_contents" in spec["alternative"]


def test_a_spec_far_from_any_date_has_no_deadline(api: TestClient) -> None:
    spec = api.post("/v1/tuning-jobs", json={"provider": "google", "examples": 500}).json()["spec"]
    assert spec["model"] == "gemini-3.5-flash-lite" and spec["deadlines"] == [] and spec["alternative_target"] is None


def test_after_the_cut_off_openai_gets_no_spec_but_the_alternative(api: TestClient, clock: list[dt.date]) -> None:
    clock[0] = dt.date(2027, 1, 7)
    spec = api.post("/v1/tuning-jobs", json={"provider": "openai", "examples": 500}).json()["spec"]
    assert spec["supported"] is False and spec["model"] is None and spec["snippet"] == ""
    assert spec["notices"][0].startswith("OpenAI has no model to tune on 2027-01-07")
    assert spec["alternative_target"]["model"] == "gemini-3.5-flash-lite"


@pytest.mark.parametrize(
    ("provider", "model", "code", "names"),
    [
        ("openai", "gpt-4.1-nano", "model_retired", "shut down on 2026-10-23"),
        ("google", "gemini-2.5-flash", "model_retired", "use gemini-3.5-flash-lite instead"),
        ("openai", "gpt-6.1-sol", "model_not_tunable", "cannot be fine-tuned; use gpt-4.1-mini instead"),
    ],
)
def test_a_job_for_a_dead_or_untunable_model_is_a_422_naming_the_replacement(
    api: TestClient, provider: str, model: str, code: str, names: str
) -> None:
    response = api.post("/v1/tuning-jobs", json={"provider": provider, "model": model, "examples": 500})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == code and problem["field"] == "model" and names in problem["detail"]


def test_the_untunable_openai_model_also_points_past_openais_end(api: TestClient) -> None:
    detail = api.post("/v1/tuning-jobs", json={"provider": "openai", "model": "gpt-6.1-sol"}).json()["detail"]
    assert "a longer-lived choice is Google" in detail and "gemini-3.5-flash-lite" in detail


def test_an_advice_profile_with_a_dead_model_gets_the_replacement_and_a_notice() -> None:
    spec = build_tuning_spec("openai", today=TODAY, model="gpt-4.1-nano", examples_hint=500)
    assert spec.model == "gpt-4.1-mini" and spec.notices[0].startswith("gpt-4.1-nano was shut down on 2026-10-23")


def test_a_retired_model_in_a_few_shot_request_is_a_422(api: TestClient) -> None:
    body = {
        "task": "t",
        "provider": "google",
        "model": "gemini-2.5-flash",
        "token_budget": 500,
        "examples": [{"input": "a", "output": "b"}],
    }
    response = api.post("/v1/prompts/few-shot", json=body)
    assert response.status_code == 422 and response.json()["code"] == "model_retired"


def test_lifecycle_notice_for_the_engine() -> None:
    notice = lifecycle_notice("openai", "gpt-4.1-mini", TODAY)
    assert notice is not None and notice.days_left == 43 and notice.alternative is not None
    assert (notice.alternative.provider, notice.alternative.model) == ("google", "gemini-3.5-flash-lite")
    assert lifecycle_notice("google", None, TODAY) is None
    assert lifecycle_notice("undecided", None, TODAY) is None  # undecided teams tune on Gemini: nothing ends soon
    later = lifecycle_notice("google", "gemini-3.1-flash-lite", dt.date(2027, 2, 1))
    assert later is not None and later.deadlines[0].days_left == 65
    # A newer model of the same provider comes first: no conversion needed.
    assert (
        later.alternative is not None and later.alternative.same_provider and later.alternative.model == "gemini-3.5-flash-lite"
    )
    retired = lifecycle_notice("openai", "gpt-3.5-turbo", TODAY, purpose="prompting")
    assert retired is not None and retired.problem is not None and retired.problem.code == "model_retired"
