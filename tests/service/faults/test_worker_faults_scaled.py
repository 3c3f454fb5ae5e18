"""Worker faults in the scaled layout: Huey on Redis, PostgreSQL, a Chroma server.

tests/service/knowledge_bases/test_worker_faults.py kills the worker on the default stores; here the job lives in Redis
(a killed worker has already popped it), and a second worker starts while the first is ingesting.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.service.knowledge_bases.test_worker_faults import _stats, chroma_server, corpus  # noqa: F401  (fixture)
from tests.service.scale.services import fresh_redis, fresh_schema, require_services
from tests.service.worker.process import Worker, api_for, wait_job

pytestmark = pytest.mark.postgres
JOB_TIMEOUT = 400.0  # seconds; generous for a 2-core machine shared with other test runs


@pytest.fixture
def scaled_env(chroma_server: str) -> Iterator[dict[str, str]]:  # noqa: F811
    require_services()
    with fresh_schema() as database_url, fresh_redis() as redis_url:
        yield {"ADVISOR_DATABASE_URL": database_url, "ADVISOR_REDIS_URL": redis_url, "ADVISOR_CHROMA_URL": chroma_server}


def api(data_dir: Path, env: dict[str, str]) -> TestClient:
    return api_for(
        data_dir,
        database_url=env["ADVISOR_DATABASE_URL"],
        redis_url=env["ADVISOR_REDIS_URL"],
        chroma_url=env["ADVISOR_CHROMA_URL"],
    )


def wait_until_partly_done(client: TestClient, kb: str, job_id: str, documents: int) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        assert job["state"] != "succeeded", "ingestion finished too early; make the corpus bigger"
        if job["state"] == "running" and len(client.get(f"/v1/knowledge-bases/{kb}/documents").json()) >= documents:
            return
        time.sleep(0.05)
    raise AssertionError("ingestion never got going")


def assert_no_duplicates(client: TestClient, data_dir: Path, kb: str, job: dict[str, Any], documents: int) -> None:
    listed = client.get(f"/v1/knowledge-bases/{kb}/documents").json()
    assert len(listed) == documents
    recorded = sum(document["chunks"] for document in listed)
    assert recorded == job["result"]["chunks"]
    kb_id = client.get(f"/v1/knowledge-bases/{kb}").json()["id"]
    assert _stats(data_dir, kb_id)["chunks"] == recorded, "the Chroma server holds each chunk once"


def test_worker_killed_with_the_job_popped_from_redis_is_retried_once(tmp_path: Path, scaled_env: dict[str, str]) -> None:
    worker = Worker(tmp_path, {**scaled_env, "ADVISOR_JOB_LEASE_SECONDS": "3"})
    worker.start()
    try:
        with api(tmp_path, scaled_env) as client:
            client.post("/v1/knowledge-bases", json={"name": "big", "chunk_tokens": 50, "chunk_overlap": 0})
            files = corpus()[:30]
            job_id = client.post("/v1/knowledge-bases/big/documents", files=[("files", f) for f in files]).json()["id"]
            wait_until_partly_done(client, "big", job_id, documents=2)
            worker.kill()
            assert client.get(f"/v1/jobs/{job_id}").json()["state"] == "running"

            worker.start()  # the job's lease runs out with the dead worker: it is queued again (Redis had lost it)
            job = wait_job(client, job_id, timeout=JOB_TIMEOUT)
            assert job["state"] == "succeeded", job
            assert job["attempts"] == 2
            assert job["result"]["skipped"] > 0, "documents finished before the kill were not embedded again"
            assert_no_duplicates(client, tmp_path, "big", job, len(files))
    finally:
        worker.stop()


def long_corpus(documents: int = 14, paragraphs: int = 8) -> list[tuple[str, bytes]]:
    """Chunks of ~250 tokens cost the worker ~0.24 s each on a 2-core 2 GHz EPYC (40 documents: 77 s). There, 14
    documents took 38 s while the second worker was ready 7.7 s after the job began: margin enough on faster
    machines too, and the test says when the ingestion finished first."""
    files = []
    for d in range(documents):
        sections = [
            f"## Rule {p}\n\n" + " ".join(f"Claims of class cl{d}x{p} need form {d * 10 + p}, line {s}." for s in range(25))
            for p in range(paragraphs)
        ]
        files.append((f"policy-{d:03d}.md", (f"# Policy {d}\n\n" + "\n\n".join(sections)).encode()))
    return files


def test_a_second_worker_does_not_run_a_job_the_first_is_running(tmp_path: Path, scaled_env: dict[str, str]) -> None:
    first, second = Worker(tmp_path, scaled_env), Worker(tmp_path, scaled_env)
    first.start()
    files = long_corpus()
    try:
        with api(tmp_path, scaled_env) as client:
            client.post("/v1/knowledge-bases", json={"name": "long", "chunk_tokens": 300, "chunk_overlap": 0})
            job_id = client.post("/v1/knowledge-bases/long/documents", files=[("files", f) for f in files]).json()["id"]
            wait_until_partly_done(client, "long", job_id, documents=1)
            second.start()  # sweeps leases and re-queues queued jobs, and leaves the one `first` holds a lease on
            assert client.get(f"/v1/jobs/{job_id}").json()["state"] == "running", "finished before the second worker started"
            job = wait_job(client, job_id, timeout=JOB_TIMEOUT)
            assert job["state"] == "succeeded", job
            assert job["attempts"] == 1, "one worker ran the job; the other saw its lease and left it"
            assert f"re-queuing unfinished job {job_id}" not in (tmp_path / "worker.log").read_text()
            assert_no_duplicates(client, tmp_path, "long", job, len(files))
    finally:
        second.stop()
        first.stop()
