"""Fair turns within a job: one tenant's long ingestion gives the worker to another tenant between slices.

Before: turns were fair per job only, so a tenant's one big upload held the only worker for its whole length
and another tenant's one-page upload, sent a moment later, waited until it ended. Now a running ingestion,
after every ADVISOR_INGEST_SLICE_CHUNKS chunks (whole documents), looks for another tenant's queued job; if
there is one it goes back to the queue with where it stopped, and resumes after that job without embedding
or storing anything twice. A real worker (real Chroma, the bundled model), on SQLite and on PostgreSQL + Redis.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from service.store.models import JobRow
from tests.abuse.conftest import Live, as_new_tenant, live_with_worker

BIG = 400  # documents of tenant A: one chunk each


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def with_worker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_with_worker(request, tmp_path_factory, request.param, {"ADVISOR_INGEST_SLICE_CHUNKS": "4"}) as live:
        yield live


def _upload(live: Live, name: str, content: bytes) -> str:
    kb = f"s-{uuid.uuid4().hex[:8]}"
    assert live.api("POST", "/v1/knowledge-bases", json={"name": kb}).status_code == 201
    response = live.api("POST", f"/v1/knowledge-bases/{kb}/documents", files=[("files", (name, content))])
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


def _job(live: Live, job_id: str) -> dict[str, Any]:
    job: dict[str, Any] = live.api("GET", f"/v1/jobs/{job_id}").json()
    return job


def test_a_small_job_of_another_tenant_finishes_before_a_big_one_sent_earlier(with_worker: Live) -> None:
    a, b = as_new_tenant(with_worker), as_new_tenant(with_worker)
    lines = [{"id": f"a-{i}", "text": f"Note {i}: the alpha process step {i} is described here."} for i in range(BIG)]
    big = _upload(a, "big.jsonl", "\n".join(json.dumps(line) for line in lines).encode())
    while (state := _job(a, big))["state"] == "queued" or state["progress"]["done"] == 0:
        assert state["state"] in ("queued", "running"), state
        time.sleep(0.05)
    small = _upload(b, "small.md", b"# Beta\n\nThe one beta note.")
    assert _job(a, big)["state"] == "running", "the big job had ended before the small one was sent: make it bigger"

    assert b.wait_job(small)["state"] == "succeeded"
    big_job = a.wait_job(big)
    assert big_job["state"] == "succeeded", big_job
    with with_worker.app.state.database.session() as session:
        finished = {job_id: session.get(JobRow, job_id).finished_at for job_id in (big, small)}  # type: ignore[union-attr]
    assert finished[small] < finished[big], "B's one document waited for all of A's"
    # Given turns are neither attempts nor work done twice: every chunk embedded once, none stored twice.
    assert big_job["attempts"] == 1, big_job
    assert big_job["result"]["documents"] == BIG and big_job["result"]["chunks"] == BIG, big_job["result"]
    assert big_job["result"]["embedded"] + big_job["result"]["skipped"] == BIG, big_job["result"]
    kb = big_job["knowledge_base"]
    assert a.api("GET", f"/v1/knowledge-bases/{kb}").json()["chunks"] == BIG
    worker_url = json.loads((with_worker.app.state.settings.data_dir / "worker.json").read_text())["url"]
    stats = httpx.post(f"{worker_url}/stats", json={"kb_id": kb}, timeout=30).json()  # what Chroma holds
    assert stats["chunks"] == BIG and len(stats["documents"]) == BIG, stats["chunks"]
