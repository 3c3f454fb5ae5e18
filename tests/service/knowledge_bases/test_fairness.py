"""One tenant's big ingestion does not hold back another's single document (a real worker, jobs in the queue first)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from service.auth.service import issue
from service.store.models import JobRow
from tests.service.worker.process import Worker, api_for, wait_job

BIG = 20


def document(n: int) -> tuple[str, bytes]:
    return (f"note-{n:02d}.md", f"# Note {n}\n\nRequests of kind qx{n}z are filed on form {n * 100}.".encode())


def test_a_tenants_single_document_is_ingested_before_another_tenants_twentieth(tmp_path: Path) -> None:
    # More jobs at once than the default quota lets one tenant queue: this test is about their order.
    client = api_for(tmp_path, auth="on", rate_limit_per_minute=0, quota_concurrent_jobs=BIG + 1)
    worker = Worker(tmp_path)
    try:
        with client:
            database = client.app.state.database  # type: ignore[attr-defined]
            with database.session() as session:
                a = {"Authorization": f"Bearer {issue(session, 'tenant-a').key}"}
                b = {"Authorization": f"Bearer {issue(session, 'tenant-b').key}"}
            for headers in (a, b):
                assert client.post("/v1/knowledge-bases", json={"name": "docs"}, headers=headers).status_code == 201
            # Everything is queued before the worker starts: the order it runs them in is the scheduler's alone.
            big = [
                client.post("/v1/knowledge-bases/docs/documents", files={"files": document(n)}, headers=a).json()["id"]
                for n in range(BIG)
            ]
            small = client.post("/v1/knowledge-bases/docs/documents", files={"files": document(99)}, headers=b).json()["id"]
            worker.start()
            for job_id, headers in [(small, b), *((job_id, a) for job_id in big)]:
                client.headers.update(headers)
                assert wait_job(client, job_id)["state"] == "succeeded"
            with database.session() as session:
                rows = session.execute(select(JobRow.id, JobRow.tenant_id, JobRow.attempts).order_by(JobRow.finished_at)).all()
    finally:
        worker.stop()
    order = [row.id for row in rows]
    assert sorted(order) == sorted([*big, small]) and all(row.attempts == 1 for row in rows)
    assert order.index(small) == 1, "B's document went right after A's first, not after A's twentieth"
    assert [job_id for job_id in order if job_id != small] == big, "A's own jobs kept their order"
