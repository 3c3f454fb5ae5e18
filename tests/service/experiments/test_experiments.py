"""Experiments end to end: the API accepts, the runner calls a real HTTP server on loopback, the API reports.

No worker process here: the test runs the worker's runner itself, on the app's database, after the API
accepted the experiment (the worker's consumer would call exactly this). The sleeps the runner asks for
are recorded, not slept, so Retry-After is checked without a clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.experiments.runner import run_experiment
from service.experiments.stats import wilson
from service.main import create_app
from tests.conftest import TODAY, fresh_postgres_schema
from tests.service.experiments.fake_chat import FakeChat, serve

LABELS = {f"ticket {i}": label for i, label in enumerate(["billing", "shipping", "billing", "other", "refund"] * 2, 1)}
# Seven right (three of them only after a 429, a 500 or a slow answer), three wrong.
SCRIPTS = {
    "ticket 1": ["billing"],
    "ticket 2": ["shipping."],
    "ticket 3": ["Billing"],
    "ticket 4": ["status:429:2", "other"],
    "ticket 5": ["status:500", "refund"],
    "ticket 6": ["slow:0.2", "billing"],
    "ticket 7": ["shipping"],
    "ticket 8": ["shipping"],
    "ticket 9": ["other things"],
    "ticket 10": ["billing"],
}
RIGHT = {"ticket 1", "ticket 2", "ticket 3", "ticket 4", "ticket 5", "ticket 6", "ticket 7"}


def make_client(tmp_path: Path, database_url: str | None = None, **overrides: Any) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url, experiment_retries=2, **overrides)
    app = create_app(settings, clock=lambda: TODAY)
    with TestClient(app) as client:
        yield client
    app.state.database.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def api(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TestClient]:
    """The app on SQLite, and on a fresh PostgreSQL schema (the runner's threads write there concurrently)."""
    if request.param == "sqlite":
        yield from make_client(tmp_path)
        return
    with fresh_postgres_schema("exp") as url:
        yield from make_client(tmp_path, url)


@pytest.fixture
def fake() -> Iterator[tuple[FakeChat, str]]:
    chat = FakeChat({k: list(v) for k, v in SCRIPTS.items()})
    with serve(chat) as url:
        yield chat, url


def body(url: str, **extra: Any) -> dict[str, Any]:
    return {
        "items": [{"input": text, "expected": label} for text, label in LABELS.items()],
        "target": {"provider": "openai_compatible", "base_url": url, "model": "llama3.2"},
        "candidates": ["zero_shot"],
        "grader": "exact",
        **extra,
    }


def run(api: TestClient, experiment_id: str, sleeps: list[float] | None = None) -> str:
    recorded = sleeps if sleeps is not None else []
    return run_experiment(
        api.app.state.database,
        experiment_id,
        api.app.state.settings,
        sleep=recorded.append,
        today=TODAY,  # type: ignore[attr-defined]
    )


def test_a_run_reports_accuracy_interval_and_every_item(api: TestClient, fake: tuple[FakeChat, str]) -> None:
    chat, url = fake
    accepted = api.post("/v1/experiments", json=body(url))
    assert accepted.status_code == 202, accepted.text
    experiment_id = accepted.json()["id"]
    assert accepted.headers["location"] == f"/v1/experiments/{experiment_id}"
    assert accepted.json()["estimate_usd"] == 0.0  # self-hosted, no price given
    queued = api.get(f"/v1/experiments/{experiment_id}").json()
    assert queued["state"] == "queued" and queued["progress"] == {"done": 0, "total": 10}

    sleeps: list[float] = []
    assert run(api, experiment_id, sleeps) == "succeeded"

    report = api.get(f"/v1/experiments/{experiment_id}").json()
    assert report["state"] == "succeeded" and report["progress"] == {"done": 10, "total": 10}
    (candidate,) = report["candidates"]
    low, high = wilson(7, 10)
    assert (candidate["name"], candidate["n"], candidate["correct"], candidate["accuracy"]) == ("zero_shot", 10, 7, 0.7)
    assert candidate["ci_low"] == pytest.approx(0.3967781, abs=1e-6) and candidate["ci_low"] == low
    assert candidate["ci_high"] == pytest.approx(0.8922087, abs=1e-6) and candidate["ci_high"] == high
    assert candidate["cost_usd"] == 0.0 and candidate["graders"] == {"exact": 10} and candidate["errors"] == 0
    assert candidate["latency_ms_p50"] > 0
    rows = [{k: r[k] for k in ("index", "input", "expected", "output", "correct", "grader")} for r in candidate["results"]]
    assert rows == [
        {
            "index": i,
            "input": text,
            "expected": LABELS[text],
            "output": SCRIPTS[text][-1],
            "correct": text in RIGHT,
            "grader": "exact",
        }
        for i, text in enumerate(LABELS)
    ]
    # The 429's Retry-After was honoured; the 500 (no header) backed off; every item was answered once.
    assert 2.0 in sleeps and len(sleeps) == 2
    assert set(chat.answered.values()) == {1} and chat.requests["ticket 4"] == chat.requests["ticket 5"] == 2
    first = chat.bodies[0]
    assert first["temperature"] == 0 and first["max_tokens"] == 512 and [m["role"] for m in first["messages"]] == ["user"]
    listed = api.get("/v1/experiments").json()
    assert [(e["id"], e["state"], e["candidates"]) for e in listed] == [(experiment_id, "succeeded", ["zero_shot"])]


def test_graders_per_set_and_per_item(api: TestClient, fake: tuple[FakeChat, str]) -> None:
    _, url = fake
    request = body(url, grader="label")
    request["items"][8]["grader"] = {"type": "regex", "pattern": "^other"}  # "other things" passes this one
    experiment_id = api.post("/v1/experiments", json=request).json()["id"]
    run(api, experiment_id)
    (candidate,) = api.get(f"/v1/experiments/{experiment_id}").json()["candidates"]
    assert candidate["graders"] == {"label": 9, "regex": 1}
    graded = {r["input"]: (r["correct"], r["grader"]) for r in candidate["results"]}
    assert graded["ticket 9"] == (True, "regex")
    assert graded["ticket 8"] == (False, "label") and candidate["correct"] == 8


def test_a_stopped_run_resumes_without_calling_finished_items_again(api: TestClient, fake: tuple[FakeChat, str]) -> None:
    chat, url = fake
    experiment_id = api.post("/v1/experiments", json=body(url)).json()["id"]
    chat.fail_after = 4  # the provider goes down for good after four answers
    assert run(api, experiment_id) == "failed"
    stopped = api.get(f"/v1/experiments/{experiment_id}").json()
    assert stopped["error"]["code"] == "provider_unavailable"
    finished = {r["input"] for r in stopped["candidates"][0]["results"]}
    assert 4 <= len(finished) < 10 and stopped["progress"]["done"] == len(finished)
    assert api.post(f"/v1/experiments/{experiment_id}/resume").json()["state"] == "queued"

    chat.fail_hard, chat.fail_after = False, None
    before = dict(chat.requests)
    assert run(api, experiment_id) == "succeeded"
    called_again = {text for text in finished if chat.requests[text] != before[text]}
    assert called_again == set()
    assert set(chat.answered.values()) == {1} and len(chat.answered) == 10  # each item paid for exactly once
    report = api.get(f"/v1/experiments/{experiment_id}").json()
    assert report["candidates"][0]["correct"] == 7 and report["progress"] == {"done": 10, "total": 10}
    assert api.post(f"/v1/experiments/{experiment_id}/resume").status_code == 409


def test_budget_refusal_states_the_estimate(tmp_path: Path, fake: tuple[FakeChat, str]) -> None:
    _, url = fake
    priced = {"provider": "openai_compatible", "base_url": url, "model": "m", "input_per_mtok": 1000, "output_per_mtok": 1000}
    for client in make_client(tmp_path, experiment_budget_usd=0.05):
        over = client.post("/v1/experiments", json=body(url, target=priced, max_cost_usd=0.01))
        assert over.status_code == 402 and over.headers["content-type"] == "application/problem+json"
        # Characters / 4 per text: 21 input tokens, and 10 answers of the label's 2 tokens + 16, at $1000 per million.
        assert over.json()["code"] == "cost_over_budget" and over.json()["detail"].startswith("Estimated cost $0.2010 ")
        tenant_budget = client.post("/v1/experiments", json=body(url, target=priced))
        assert tenant_budget.status_code == 402 and "ADVISOR_EXPERIMENT_BUDGET_USD" in tenant_budget.json()["detail"]
        confirmed = client.post("/v1/experiments", json=body(url, target=priced, max_cost_usd=0.01, confirm_cost=True))
        assert confirmed.status_code == 202 and confirmed.json()["estimate_usd"] > 0.05


def test_a_hosted_provider_without_a_key_is_refused_before_the_job(api: TestClient) -> None:
    refused = api.post("/v1/experiments", json=body("", target={"provider": "anthropic", "model": "claude-haiku-4-5"}))
    assert refused.status_code == 409 and refused.json()["code"] == "provider_key_missing"
    assert "ANTHROPIC_API_KEY" in refused.json()["detail"] and api.get("/v1/experiments").json() == []


@pytest.mark.parametrize(
    "change",
    [
        {"items": None},
        {"dataset_id": "x"},
        {"target": {"provider": "openai_compatible", "model": "m"}},
        {"candidates": ["few_shot"]},
        {"candidates": ["zero_shot", "zero_shot"]},
    ],
)
def test_inconsistent_requests_are_422(api: TestClient, change: dict[str, Any]) -> None:
    request = {k: v for k, v in {**body("http://127.0.0.1:9/v1"), **change}.items() if v is not None}
    assert api.post("/v1/experiments", json=request).status_code == 422


def few_shot_advice(api: TestClient) -> str:
    profile = {"task": "Label support tickets", "provider": "openai", "examples": 12, "prompting_status": "not_tried"}
    examples = [{"input": f"example ticket {i}", "output": label} for i, label in enumerate(["billing", "shipping", "other"] * 4)]
    created = api.post("/v1/advice", json={"profile": profile, "artifact": True, "examples": examples})
    assert created.status_code == 201, created.text
    kinds = [part["kind"] for part in created.json()["artifact"]["parts"]]
    assert kinds == ["few_shot_prompt"], kinds
    return str(created.json()["id"])


def test_few_shot_from_an_advice_against_zero_shot(api: TestClient) -> None:
    chat = FakeChat({k: list(v) for k, v in SCRIPTS.items()}, truth=LABELS)
    with serve(chat) as url:
        advice_id = few_shot_advice(api)
        request = body(url, candidates=["zero_shot", "few_shot"], advice_id=advice_id)
        experiment_id = api.post("/v1/experiments", json=request).json()["id"]
        assert run(api, experiment_id) == "succeeded"
    report = api.get(f"/v1/experiments/{experiment_id}").json()
    scores = {c["name"]: (c["n"], c["correct"], c["ci_low"], c["ci_high"]) for c in report["candidates"]}
    assert scores == {"zero_shot": (10, 7, *wilson(7, 10)), "few_shot": (10, 10, *wilson(10, 10))}
    taught = [b for b in chat.bodies if any(m["role"] == "assistant" for m in b["messages"])]
    assert len(taught) == 10 and taught[0]["messages"][0]["role"] == "system"
    assert "example ticket" in json.dumps(taught[0]["messages"]) and "{{" not in json.dumps(taught[0]["messages"])


def test_a_dataset_with_a_holdout_is_the_evaluation_set(api: TestClient, fake: tuple[FakeChat, str]) -> None:
    chat, url = fake
    lines = [
        json.dumps({"messages": [{"role": "user", "content": text}, {"role": "assistant", "content": label}]})
        for text, label in LABELS.items()
    ]
    upload = api.post("/v1/datasets", files={"file": ("eval.jsonl", "\n".join(lines).encode())}, data={"provider": "openai"})
    assert upload.status_code == 201, upload.text
    request = {k: v for k, v in body(url, dataset_id=upload.json()["id"], holdout=0.5).items() if k != "items"}
    accepted = api.post("/v1/experiments", json=request)
    assert accepted.status_code == 202, accepted.text
    run(api, accepted.json()["id"])
    (candidate,) = api.get(f"/v1/experiments/{accepted.json()['id']}").json()["candidates"]
    assert [r["input"] for r in candidate["results"]] == [f"ticket {i}" for i in range(6, 11)]
    assert (candidate["n"], candidate["correct"]) == (5, 2) and set(chat.answered) == {f"ticket {i}" for i in range(6, 11)}
