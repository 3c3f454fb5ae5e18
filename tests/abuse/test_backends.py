"""The suite's second backend is PostgreSQL + Redis, as the issue asks: a job accepted there is queued on Redis,
and a queued job runs even when another consumer of that Redis database took its message.

Every `live_db`, `backend` and `backend_for` test runs on SQLite (Huey's queue in the data dir), then on the
session's PostgreSQL schema with the job queue and the rate limits on the session's Redis database.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from huey import RedisHuey
from sqlalchemy import delete

from service.store.models import JobRow
from tests.abuse.conftest import Live, as_new_tenant, live_with_worker

BUSY = 300  # documents of the job that keeps the worker busy while the other job's message is taken


def test_a_job_is_queued_where_the_backend_says(live_db: Live) -> None:
    live = as_new_tenant(live_db)
    settings = live.app.state.settings
    kb = f"b-{uuid.uuid4().hex[:8]}"
    assert live.api("POST", "/v1/knowledge-bases", json={"name": kb}).status_code == 201
    client = redis.Redis.from_url(settings.redis_url) if settings.redis_url else None
    before = client.llen("huey.redis.advisor") if client else 0
    response = live.api("POST", f"/v1/knowledge-bases/{kb}/documents", files=[("files", ("a.md", b"# A\n\nText."))])
    assert response.status_code == 202, response.text
    try:
        if settings.database_url.startswith("postgresql"):
            assert client is not None, "the PostgreSQL variant runs without Redis"
            assert client.llen("huey.redis.advisor") == before + 1, "the job's message is not on Redis"
        else:
            assert settings.redis_url is None and (settings.data_dir / "jobs.db").is_file()
    finally:
        with live.app.state.database.session() as session:  # no worker runs here: leave no queued job behind
            session.execute(delete(JobRow).where(JobRow.id == response.json()["id"]))
            session.commit()
        if client is not None:
            client.close()


@pytest.fixture(scope="module")
def redis_stack(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A served app and a real worker on PostgreSQL + Redis, sweeping every second (a lease of 3 s)."""
    with live_with_worker(request, tmp_path_factory, "postgres", {"ADVISOR_JOB_LEASE_SECONDS": "3"}) as live:
        yield live


def test_a_job_whose_message_another_consumer_took_still_runs(redis_stack: Live) -> None:
    # The hang seen with a real worker on a "fresh" Redis database: two test sessions saw the same database empty
    # and both took it, so one session's worker took the other's messages, found no such job in its own database,
    # and the job they announced stayed queued with no message left: it never ran. fresh_redis() now claims a
    # database atomically; and a worker tops its queue up when fewer messages wait than jobs are queued, so a
    # message lost any way (taken by another consumer, a Redis restart, a worker killed after the pop) strands nothing.
    live = as_new_tenant(redis_stack)
    kb = f"b-{uuid.uuid4().hex[:8]}"
    assert live.api("POST", "/v1/knowledge-bases", json={"name": kb}).status_code == 201
    lines = "\n".join(json.dumps({"id": f"d-{i}", "text": f"Note {i} about the gamma step."}) for i in range(BUSY))

    def upload(name: str, content: bytes) -> str:
        response = live.api("POST", f"/v1/knowledge-bases/{kb}/documents", files=[("files", (name, content))])
        assert response.status_code == 202, response.text
        return str(response.json()["id"])

    busy = upload("busy.jsonl", lines.encode())
    while live.api("GET", f"/v1/jobs/{busy}").json()["state"] == "queued":
        time.sleep(0.05)
    small = upload("small.md", b"# Small\n\nOne note.")
    foreign = RedisHuey("advisor", url=redis_stack.app.state.settings.redis_url, results=False)  # another stack's queue
    assert foreign.storage.dequeue() is not None, "the worker was idle and took the message itself: make `busy` bigger"
    assert live.api("GET", f"/v1/jobs/{busy}").json()["state"] == "running"
    assert live.wait_job(small, timeout=120)["state"] == "succeeded"
    assert live.wait_job(busy)["state"] == "succeeded"
