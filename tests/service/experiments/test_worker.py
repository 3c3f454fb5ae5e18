"""The real worker runs experiments from the queue; killed mid-run (SIGKILL), the next worker (two threads,
the experiment's message sent more than once) resumes it once, without calling an item whose answer was
already stored."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from service.worker.queue import get_queue
from tests.conftest import TODAY
from tests.service.experiments.fake_chat import FakeChat, serve
from tests.service.experiments.test_experiments import LABELS
from tests.service.worker.process import Worker

PARAPHRASE = ("Where is my package? It never arrived.", "The parcel was never delivered")


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def api(data_dir: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=data_dir, database_url=None), clock=lambda: TODAY)
    with TestClient(app) as client:
        yield client
    app.state.database.dispose()


def _wait(api: TestClient, experiment_id: str, until: Any, timeout: float = 120) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found: dict[str, Any] = api.get(f"/v1/experiments/{experiment_id}").json()
        if until(found):
            return found
        time.sleep(0.05)
    raise AssertionError(f"experiment {experiment_id} never got there: {found}")


def test_a_killed_worker_is_resumed_by_the_next(api: TestClient, data_dir: Path) -> None:
    # Every answer takes a moment, one call at a time, so the worker is killed with some items stored and some not.
    scripts = {text: ["slow:0.25", label] for text, label in LABELS.items()}
    scripts[PARAPHRASE[0]] = ["slow:0.25", "Sorry, your parcel has not been delivered yet."]
    chat = FakeChat(scripts)
    # Two consumer threads, and a lease short enough that the dead worker's claim runs out while the test waits
    # (long enough that a loaded machine does not let a live runner's lease lapse).
    worker = Worker(data_dir, {"ADVISOR_EXPERIMENT_CONCURRENCY": "1", "ADVISOR_JOB_LEASE_SECONDS": "6"}, threads=2)
    with serve(chat) as url:
        items: list[dict[str, Any]] = [{"input": text, "expected": label} for text, label in LABELS.items()]
        items.append({"input": PARAPHRASE[0], "expected": PARAPHRASE[1], "grader": {"type": "embedding", "threshold": 0.5}})
        target = {"provider": "openai_compatible", "base_url": url, "model": "llama3.2"}
        worker.start()
        try:
            accepted = api.post("/v1/experiments", json={"items": items, "target": target})
            assert accepted.status_code == 202, accepted.text
            experiment_id = accepted.json()["id"]
            _wait(api, experiment_id, lambda e: e["progress"]["done"] >= 3)
            worker.kill()
            stored = _wait(api, experiment_id, lambda e: True)
            assert stored["state"] == "running"  # what a dead worker leaves behind
            finished = {r["input"] for r in stored["candidates"][0]["results"]}
            assert 3 <= len(finished) < len(items)
            worker.start()  # resumes what the dead one left running, once its lease runs out
            for _ in range(2):  # a message delivered twice more: both threads may take one
                get_queue(api.app.state.settings).submit_experiment(experiment_id)  # type: ignore[attr-defined]
            done = _wait(api, experiment_id, lambda e: e["state"] in ("succeeded", "failed"))
        finally:
            worker.stop()
    assert done["state"] == "succeeded" and done["progress"] == {"done": 11, "total": 11}
    assert {text: chat.requests[text] for text in finished} == dict.fromkeys(finished, 1)
    # Paid once per item, but for the one call in flight when the worker was killed (answered, never stored).
    assert len(chat.answered) == len(items) and sum(chat.answered.values()) <= len(items) + 1
    (candidate,) = done["candidates"]
    assert (candidate["n"], candidate["correct"], candidate["graders"]) == (11, 11, {"exact": 10, "embedding": 1})
    embedded = candidate["results"][-1]
    assert embedded["grader"] == "embedding" and embedded["detail"].startswith("similarity 0.")


def test_a_grounded_candidate_searches_the_knowledge_base_in_the_worker(api: TestClient, data_dir: Path) -> None:
    chat = FakeChat({"vacation days": ["25 days [1]"]})
    worker = Worker(data_dir)
    with serve(chat) as url:
        worker.start()
        try:
            assert api.post("/v1/knowledge-bases", json={"name": "handbook"}).status_code == 201
            document = ("vacation.md", b"# Vacation\n\nEvery employee gets 25 vacation days a year.\n")
            job = api.post("/v1/knowledge-bases/handbook/documents", files={"files": document}).json()["id"]
            deadline = time.monotonic() + 120
            while api.get(f"/v1/jobs/{job}").json()["state"] != "succeeded" and time.monotonic() < deadline:
                time.sleep(0.1)
            request = {
                "items": [{"input": "How many vacation days do I get?", "expected": "25 days"}],
                "target": {"provider": "openai_compatible", "base_url": url, "model": "llama3.2"},
                "candidates": ["grounded"],
                "knowledge_base": "handbook",
                "grader": {"type": "regex", "pattern": r"\b25\b"},
            }
            experiment_id = api.post("/v1/experiments", json=request).json()["id"]
            done = _wait(api, experiment_id, lambda e: e["state"] in ("succeeded", "failed"))
        finally:
            worker.stop()
    assert done["state"] == "succeeded", done
    (candidate,) = done["candidates"]
    assert (candidate["name"], candidate["correct"], candidate["results"][0]["output"]) == ("grounded", 1, "25 days [1]")
    (sent,) = chat.bodies
    system, user = sent["messages"]
    assert system["role"] == "system" and "[1]" in system["content"]
    assert "25 vacation days" in user["content"] and user["content"].endswith("Question: How many vacation days do I get?")
