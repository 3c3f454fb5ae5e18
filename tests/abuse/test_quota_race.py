"""Uploads at the same moment cannot together pass a tenant's quota (service/store/locks.py).

Before: each upload counted the tenant's stored bytes (or queued jobs) once, before its file was read, and
inserted its row at the end; four uploads at once all counted the same total, all saw room, and all were
recorded: the quota held per request but not per tenant. Now the count is taken again, under the tenant's
lock, right before the insert. Each upload here runs in its own thread on the real store, and its file's last
read waits until every upload has read its whole file, so all of them are past the first count before any
one is recorded: the moment the old code lost. On SQLite and on PostgreSQL + Redis.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select

from service.config import Settings
from service.datasets.service import create_dataset
from service.errors import QuotaExceeded
from service.knowledge_bases.service import create_kb, start_ingestion
from service.store.db import Database, upgrade
from service.store.models import DatasetRow, JobRow
from tests.abuse.conftest import Backend

UPLOADS = 4
LINE = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'


class HeldStream(io.RawIOBase):
    """An upload whose end is held until every upload of the race has been read to its end."""

    def __init__(self, data: bytes, everyone_read: threading.Barrier) -> None:
        super().__init__()
        self.data, self.everyone_read = io.BytesIO(data), everyone_read

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        block = self.data.read(size)
        if not block:
            self.everyone_read.wait(timeout=60)
        return block


def race(attempt: Callable[[HeldStream], None], content: bytes) -> tuple[int, list[QuotaExceeded]]:
    """Run ``UPLOADS`` attempts at once; how many were accepted, and the quota errors of the others."""
    everyone_read = threading.Barrier(UPLOADS)
    accepted: list[int] = []
    refused: list[QuotaExceeded] = []
    failures: list[BaseException] = []

    def run() -> None:
        try:
            attempt(HeldStream(content, everyone_read))
            accepted.append(1)
        except QuotaExceeded as exc:
            refused.append(exc)
        except BaseException as exc:  # any other failure fails the test, named
            failures.append(exc)

    threads = [threading.Thread(target=run) for _ in range(UPLOADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not failures, failures
    return len(accepted), refused


@pytest.fixture
def store(backend: Backend) -> Iterator[Database]:
    database = Database(backend.database_url or "")
    upgrade(database.engine)
    yield database
    database.dispose()


def test_simultaneous_dataset_uploads_stay_within_the_stored_bytes_quota(
    tmp_path: Path, backend: Backend, store: Database
) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=backend.database_url, quota_dataset_mb=1)
    tenant = f"race-{uuid.uuid4().hex[:12]}"
    content = LINE * (400_000 // len(LINE))  # ~0.4 MB: two fit in 1 MiB, a third does not

    def upload(stream: HeldStream) -> None:
        with store.session() as session:
            create_dataset(session, tenant, stream, "data.jsonl", provider="openai", model=None, settings=settings)

    accepted, refused = race(upload, content)
    assert accepted == 2, f"{accepted} of {UPLOADS} uploads of {len(content):,} bytes were stored under a 1 MiB quota"
    assert all(exc.quota is not None and exc.quota["name"] == "dataset_mb" for exc in refused), refused
    with store.session() as session:
        stored = session.scalar(select(func.sum(DatasetRow.size_bytes)).where(DatasetRow.tenant_id == tenant))
    assert stored == 2 * len(content) <= 1024 * 1024
    folders = [path for path in (tmp_path / "data" / "datasets").iterdir() if any(path.iterdir())]
    assert len(folders) == 2, "a refused upload leaves no file"


def test_simultaneous_document_uploads_stay_within_the_concurrent_jobs_quota(
    tmp_path: Path, backend: Backend, store: Database
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data", database_url=backend.database_url, redis_url=backend.redis_url, quota_concurrent_jobs=1
    )
    tenant = f"race-{uuid.uuid4().hex[:12]}"
    with store.session() as session:
        kb = create_kb(session, tenant, "race", None, 200, 20)
        session.expunge(kb)

    def upload(stream: HeldStream) -> None:
        with store.session() as session:
            start_ingestion(session, settings, tenant, kb, [(stream, "a.md")])

    try:
        accepted, refused = race(upload, b"# A\n\nSome text.")
        assert accepted == 1, f"{accepted} of {UPLOADS} ingestions were queued under a quota of one"
        assert len(refused) == UPLOADS - 1 and all(exc.status == 429 for exc in refused), refused
        uploads = [path for path in (tmp_path / "data" / "kb_uploads").iterdir() if path.is_dir()]
        assert len(uploads) == 1, "a refused upload leaves no file"
    finally:
        with store.session() as session:  # no worker runs these: leave no queued job in the shared schema
            session.execute(delete(JobRow).where(JobRow.tenant_id == tenant))
            session.commit()
