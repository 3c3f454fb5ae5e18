"""The suite's second backend is PostgreSQL + Redis, as the issue asks: a job accepted there is queued on Redis.

Every `live_db`, `backend` and `backend_for` test runs on SQLite (Huey's queue in the data dir), then on the
session's PostgreSQL schema with the job queue and the rate limits on the session's Redis database.
"""

from __future__ import annotations

import uuid

import redis
from sqlalchemy import delete

from service.store.models import JobRow
from tests.abuse.conftest import Live, as_new_tenant


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
