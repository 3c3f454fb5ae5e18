"""Before the worker is up: requests wait for it (bounded), /readyz says so, and an exposed worker wants a secret."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from service.config import Settings
from service.errors import AdvisorError
from service.worker.client import WorkerClient
from service.worker.local import operations
from service.worker.schemas import EmbedQuery
from tests.service.prompts.conftest import TASK, ticket_examples
from tests.service.worker.process import Worker, api_for, free_port

FEW_SHOT = {"task": TASK, "provider": "openai", "examples": ticket_examples(), "k": 3, "token_budget": 600}


def test_a_request_issued_before_the_worker_is_up_is_answered_once_it_is(tmp_path: Path) -> None:
    worker = Worker(tmp_path)
    client = WorkerClient(Settings(data_dir=tmp_path, worker_wait_seconds=240))
    try:
        with api_for(tmp_path, worker_wait_seconds=240) as api, ThreadPoolExecutor(2) as pool:
            assert api.get("/readyz").json()["checks"]["worker"] == "starting"
            direct = pool.submit(client.embed, EmbedQuery(texts=["a billing ticket"]))
            routed = pool.submit(api.post, "/v1/prompts/few-shot", json=FEW_SHOT)
            time.sleep(1.0)
            assert not direct.done() and not routed.done(), "the calls waited instead of failing"
            worker.start()
            assert len(direct.result(timeout=240).vectors[0]) == 384
            response = routed.result(timeout=240)
            assert response.status_code == 200, response.text
            assert len(response.json()["example_ids"]) == 3
            assert api.get("/readyz").json()["checks"]["worker"] == "ok"
    finally:
        client.close()
        worker.stop()


def test_past_the_bound_a_request_gets_503_worker_unavailable(tmp_path: Path) -> None:
    client = WorkerClient(Settings(data_dir=tmp_path, worker_wait_seconds=0.5))
    try:
        with pytest.raises(AdvisorError) as raised:
            client.embed(EmbedQuery(texts=["anyone there?"]))
    finally:
        client.close()
    assert (raised.value.status, raised.value.code) == (503, "worker_unavailable")
    assert "advisor worker" in raised.value.message
    with api_for(tmp_path, worker_wait_seconds=0.5) as api:
        response = api.post("/v1/prompts/few-shot", json=FEW_SHOT)
    assert response.status_code == 503 and response.json()["code"] == "worker_unavailable"


def test_a_stale_address_of_a_dead_worker_is_unavailable_too(tmp_path: Path) -> None:
    (tmp_path / "worker.json").write_text(f'{{"url": "http://127.0.0.1:{free_port()}", "pid": 1}}')
    with api_for(tmp_path, worker_wait_seconds=0.5) as api:
        response = api.post("/v1/prompts/few-shot", json=FEW_SHOT)
    assert response.status_code == 503 and response.json()["code"] == "worker_unavailable"
    assert "did not answer" in response.json()["detail"]


def test_readyz_reports_the_worker_and_requires_it_only_when_asked(tmp_path: Path) -> None:
    with api_for(tmp_path, worker_wait_seconds=120) as api:
        ready = api.get("/readyz")
        assert ready.status_code == 200
        assert ready.json() == {"status": "ok", "checks": {"database": "ok", "worker": "starting"}}
        required = api.get("/readyz", params={"require": "worker"})
        assert required.status_code == 503
        assert required.json()["code"] == "worker_unavailable"
        assert required.json()["errors"] == [{"check": "worker", "state": "starting"}]
    with api_for(tmp_path, worker_wait_seconds=0) as api:
        ready = api.get("/readyz")
        assert ready.status_code == 200 and ready.json()["checks"]["worker"] == "down"
        assert api.get("/readyz", params={"require": "worker"}).json()["errors"][0]["state"] == "down"
        assert api.get("/readyz", params={"require": "everything"}).status_code == 422


def test_advice_without_a_worker_selects_with_word_counts_instead_of_failing(tmp_path: Path) -> None:
    profile = {"task": TASK, "provider": "openai", "examples": 40, "personalization": True}
    with api_for(tmp_path, worker_wait_seconds=0) as api:
        response = api.post("/v1/advice", json={"profile": profile, "artifact": True, "examples": ticket_examples()})
    assert response.status_code == 201, response.text
    part = response.json()["artifact"]["parts"][0]
    assert part["kind"] == "few_shot_prompt" and "hashed word-count" in part["selection"]


def test_without_a_worker_the_cli_owns_the_store(tmp_path: Path) -> None:
    with operations(Settings(data_dir=tmp_path)) as ops:
        assert not isinstance(ops, WorkerClient)
        assert len(ops.embed(EmbedQuery(texts=["owned here"])).vectors[0]) == 384
    assert not (tmp_path / "worker.json").exists()


def test_a_worker_beyond_loopback_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    env = {**os.environ, "ADVISOR_DATA_DIR": str(tmp_path), "ADVISOR_WORKER_HOST": "0.0.0.0"}
    env.pop("ADVISOR_WORKER_SECRET", None)
    done = subprocess.run([sys.executable, "-m", "service.worker"], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 2
    assert "ADVISOR_WORKER_SECRET" in done.stderr
    assert not (tmp_path / "worker.json").exists() and not (tmp_path / "chroma").exists()
