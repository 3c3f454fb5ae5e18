"""POST /v1/tuning-jobs against a fake OpenAI at the SDK's HTTP transport."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from service.providers.openai import OpenAITuning
from tests.service.tuning_jobs.fake_openai import FakeOpenAI

CANARY_KEY = "sk-test-canary-0123456789"


def chat_line(i: int) -> str:
    return json.dumps(
        {
            "messages": [
                {"role": "system", "content": "You label support tickets."},
                {"role": "user", "content": f"Ticket {i}: my invoice number {i} is wrong"},
                {"role": "assistant", "content": f"billing-{i % 3}"},
            ]
        }
    )


@pytest.fixture
def fake() -> FakeOpenAI:
    return FakeOpenAI()


@pytest.fixture
def today() -> list[dt.date]:
    return [dt.date(2026, 11, 24)]


@pytest.fixture
def api(tmp_path: Path, fake: FakeOpenAI, today: list[dt.date]) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path / "data"), clock=lambda: today[0])
    # max_retries=1: one SDK retry, with the same Idempotency-Key, after a timeout.
    app.state.tuning_clients = lambda provider: (
        OpenAITuning(CANARY_KEY, base_url="https://fake.openai.test/v1", http_client=fake.client(), max_retries=1, timeout=5)
        if provider == "openai"
        else None
    )
    with TestClient(app) as client:
        yield client
    app.state.database.dispose()


def upload(client: TestClient, lines: list[str]) -> str:
    body = ("\n".join(lines) + "\n").encode()
    response = client.post("/v1/datasets", files={"file": ("train.jsonl", body)}, data={"provider": "openai"})
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


@pytest.fixture
def dataset_id(api: TestClient) -> str:
    return upload(api, [chat_line(i) for i in range(40)])


def submit(client: TestClient, dataset_id: str, key: str | None = "key-1", **extra: object) -> object:
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        "/v1/tuning-jobs", json={"provider": "openai", "dataset_id": dataset_id, "submit": True, **extra}, headers=headers
    )


def test_spec_only_for_every_provider(api: TestClient) -> None:
    for provider, supported in (("openai", True), ("google", True), ("open_weights", True), ("anthropic", False)):
        body = api.post("/v1/tuning-jobs", json={"provider": provider, "examples": 500}).json()
        assert body["status"] == "draft"
        assert body["spec"]["supported"] is supported
        assert body["provider_job_id"] is None
    openai = api.post("/v1/tuning-jobs", json={"provider": "openai", "examples": 500}).json()["spec"]
    assert "2027-01-06" in " ".join(openai["notices"])
    assert openai["alternative"] and '"type": "supervised"' in openai["snippet"]
    google = api.post("/v1/tuning-jobs", json={"provider": "google", "examples": 500}).json()["spec"]
    assert "tunings.tune" in google["snippet"] and "TuningDataset" in google["snippet"]
    weights = api.post("/v1/tuning-jobs", json={"provider": "open_weights", "examples": 500}).json()["spec"]
    assert set(weights["files"]) == {"train.py", "axolotl.yaml"}


def test_submission_uploads_once_and_creates_one_job(api: TestClient, fake: FakeOpenAI, dataset_id: str) -> None:
    response = submit(api, dataset_id)
    assert response.status_code == 201, response.text
    job = response.json()
    assert job["status"] == "submitted" and job["provider_job_id"] == "ftjob-1"
    assert len(fake.files) == 2 and len(fake.jobs) == 1
    sent = fake.jobs["ftjob-1"]
    assert sent["model"] == "gpt-4.1-mini-2025-04-14"
    assert sent["method"]["type"] == "supervised"
    assert sent["validation_file"] is not None
    again = submit(api, dataset_id)
    assert again.status_code == 200 and again.json()["id"] == job["id"]
    assert len(fake.jobs) == 1 and len(fake.files) == 2
    fake.finish("ftjob-1")
    refreshed = api.get(f"/v1/tuning-jobs/{job['id']}").json()
    assert refreshed["status"] == "succeeded"
    assert refreshed["fine_tuned_model"].startswith("ft:gpt-4.1-mini")


def test_upload_failure_records_no_job(api: TestClient, fake: FakeOpenAI, dataset_id: str) -> None:
    fake.fail_uploads = 5
    response = submit(api, dataset_id)
    assert response.status_code == 502
    assert response.json()["code"] == "provider_error"
    assert fake.jobs == {}
    fake.fail_uploads = 0
    retried = submit(api, dataset_id)
    assert retried.status_code == 200
    assert retried.json()["status"] == "submitted" and len(fake.jobs) == 1


def test_job_rejection_is_reported_and_not_recorded_as_created(api: TestClient, fake: FakeOpenAI, dataset_id: str) -> None:
    fake.reject_jobs = True
    response = submit(api, dataset_id)
    assert response.status_code == 422
    assert response.json()["code"] == "provider_rejected"
    assert "at least 10" in response.json()["detail"]
    assert fake.jobs == {}


def test_timeout_is_retried_with_the_same_key(api: TestClient, fake: FakeOpenAI, dataset_id: str) -> None:
    fake.timeouts_on_create = 1  # the SDK's retry succeeds
    response = submit(api, dataset_id)
    assert response.status_code == 201, response.text
    assert len(fake.jobs) == 1
    assert len(fake.seen_keys) == 2 and fake.seen_keys[0] == fake.seen_keys[1]


def test_retry_after_exhausted_timeouts_makes_one_job(api: TestClient, fake: FakeOpenAI, dataset_id: str) -> None:
    fake.timeouts_on_create = 2  # both SDK attempts time out
    first = submit(api, dataset_id)
    assert first.status_code == 504
    assert first.json()["code"] == "provider_timeout"
    assert fake.jobs == {}
    second = submit(api, dataset_id)
    assert second.status_code == 200 and second.json()["status"] == "submitted"
    assert len(fake.jobs) == 1
    assert len(fake.files) == 2  # the uploads of the first attempt were reused
    assert len(set(fake.seen_keys)) == 1


def test_key_reuse_with_another_body_is_409(api: TestClient, dataset_id: str) -> None:
    assert submit(api, dataset_id).status_code == 201
    reused = submit(api, dataset_id, suffix="other")
    assert reused.status_code == 409
    assert reused.json()["code"] == "idempotency_key_reused"


def test_openai_refused_after_its_cutoff(api: TestClient, fake: FakeOpenAI, dataset_id: str, today: list[dt.date]) -> None:
    today[0] = dt.date(2027, 1, 6)
    response = submit(api, dataset_id)
    assert response.status_code == 409
    assert response.json()["code"] == "provider_fine_tuning_ended"
    assert fake.calls == []


def test_dataset_with_errors_is_not_submitted(api: TestClient, fake: FakeOpenAI) -> None:
    broken = upload(api, [chat_line(i) for i in range(20)] + ["{not json"])
    response = submit(api, broken)
    assert response.status_code == 409
    assert response.json()["code"] == "dataset_has_errors"
    assert fake.calls == []


def test_missing_key_is_refused(api: TestClient, dataset_id: str) -> None:
    api.app.state.tuning_clients = lambda provider: None  # type: ignore[attr-defined]
    response = submit(api, dataset_id)
    assert response.status_code == 409
    assert response.json()["code"] == "provider_key_missing"


def test_the_key_never_leaves_the_sdk(api: TestClient, fake: FakeOpenAI, dataset_id: str, tmp_path: Path) -> None:
    fake.reject_jobs = True
    response = submit(api, dataset_id)
    assert CANARY_KEY not in response.text
    assert all(header == f"Bearer {CANARY_KEY}" for header in fake.authorization)
    for path in (tmp_path / "data").rglob("*"):
        if path.is_file():
            assert CANARY_KEY.encode() not in path.read_bytes(), path
