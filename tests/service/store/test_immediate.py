"""The event loop's writer (ADR 0023): it commits at once or writes nothing and says so; it never waits for SQLite's
write lock, never checkpoints, and hands one insert in ``pool_every`` to the pool so the WAL is checkpointed there."""

from __future__ import annotations

import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Table

from service.advice.repository import AdviceRepository
from service.store.db import WAL_SIZE_LIMIT, Database, open_sqlite, upgrade
from service.store.immediate import ImmediateWriter
from service.store.models import AdviceRow
from tests.service.store.test_driver_insert import _stored, _values

TABLE: Table = AdviceRow.__table__  # type: ignore[assignment]


@pytest.fixture
def database(tmp_path: Path) -> Any:
    database = Database(f"sqlite:///{tmp_path / 'advisor.db'}")
    upgrade(database.engine)
    yield database
    database.dispose()


def _row(advice_id: str | None = None, size: int = 0) -> dict[str, Any]:
    values = _values(advice_id or uuid.uuid4().hex, None)
    if size:
        values["verdict"] = {"text": uuid.uuid4().hex * (size // 32)}
    return values


def test_it_commits_what_the_pooled_insert_stores(database: Database, tmp_path: Path) -> None:
    pooled_values = _row("pooled")
    del pooled_values["tenant_id"]
    assert AdviceRepository.insert_committed(database.engine, "acme", pooled_values)
    assert database.immediate.insert(TABLE, _row("loop"))
    pooled, loop = _stored(tmp_path / "advisor.db")  # another connection reads it: committed
    assert loop == pooled
    connection = database.immediate._connection
    assert connection.execute("PRAGMA busy_timeout").fetchone() == (0,)
    assert connection.execute("PRAGMA wal_autocheckpoint").fetchone() == (0,)
    assert connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)  # set up as the pool's connections are
    assert connection.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert not connection.in_transaction


def test_a_held_write_lock_writes_nothing_and_hands_the_row_back(database: Database, tmp_path: Path) -> None:
    other = sqlite3.connect(tmp_path / "advisor.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds SQLite's write lock
    try:
        assert not database.immediate.insert(TABLE, _row("refused"))
        assert database.immediate.handed_back == 1
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert _stored(tmp_path / "advisor.db") == []
    assert database.immediate.insert(TABLE, _row("later"))  # the connection is usable again, nothing left open
    assert len(_stored(tmp_path / "advisor.db")) == 1


def test_other_errors_are_raised_as_sqlalchemy_errors(database: Database) -> None:
    from sqlalchemy.exc import IntegrityError

    assert database.immediate.insert(TABLE, _row("twice"))
    with pytest.raises(IntegrityError):
        database.immediate.insert(TABLE, _row("twice"))
    assert database.immediate.handed_back == 0


def test_a_second_thread_inside_it_is_refused_not_queued(database: Database) -> None:
    writer = database.immediate
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer._lock:
            inside.set()
            release.wait(10)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        inside.wait(10)
        assert not writer.insert(TABLE, _row("second"))
    finally:
        release.set()
        holder.join()
    assert writer.insert(TABLE, _row("after"))


def test_every_nth_insert_starts_one_background_checkpoint(database: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    writer = ImmediateWriter(database.engine, connect=lambda: open_sqlite(database.engine), checkpoint_every=3)
    started: list[str] = []
    checkpoint = writer._checkpoint_now

    def counted() -> None:
        started.append(threading.current_thread().name)
        checkpoint()

    monkeypatch.setattr(writer, "_checkpoint_now", counted)
    try:
        for _ in range(7):
            assert writer.insert(TABLE, _row())
            writer.wait_checkpoint()
    finally:
        writer.close()
    assert len(started) == 2 and all(name.startswith("wal-checkpoint") for name in started)  # never the caller's thread


def _wal_pages(path: Path) -> int:
    wal = path.with_name(path.name + "-wal")
    return (wal.stat().st_size // 4096) if wal.exists() else 0


@pytest.mark.parametrize("checkpoint_every", [128, 10**9])
def test_the_background_checkpoints_keep_the_wal_small(tmp_path: Path, checkpoint_every: int) -> None:
    """~6 KB rows, 700 of them: the loop's connection never checkpoints itself (without the background checkpoints
    the WAL keeps every page); with them the WAL is reused and stays near SQLite's own 1,000-page mark."""
    database = Database(f"sqlite:///{tmp_path / 'advisor.db'}")
    upgrade(database.engine)
    database.immediate.checkpoint_every = checkpoint_every
    try:
        largest = 0
        for _ in range(700):
            assert database.immediate.insert(TABLE, _row(size=6000))
            database.immediate.wait_checkpoint()
            largest = max(largest, _wal_pages(tmp_path / "advisor.db"))
        assert len(_stored(tmp_path / "advisor.db")) == 700
    finally:
        database.dispose()
    if checkpoint_every == 128:
        assert largest < 1_300
    else:
        assert largest > 2_000


def test_opening_it_never_waits_for_the_pool(tmp_path: Path) -> None:
    """Every pooled connection checked out (by threads serving other requests): the writer opens its own at once."""
    from sqlalchemy.pool import QueuePool

    database = Database(f"sqlite:///{tmp_path / 'advisor.db'}")
    upgrade(database.engine)
    pool = database.engine.pool
    assert isinstance(pool, QueuePool)
    pool._timeout = 0.1  # a checkout from the exhausted pool fails after 0.1 s instead of waiting 30 s
    held = [database.engine.raw_connection() for _ in range(pool.size() + pool._max_overflow)]
    try:
        assert database.immediate.insert(TABLE, _row("while-exhausted"))
    finally:
        for connection in held:
            connection.close()
        database.dispose()
    assert len(_stored(tmp_path / "advisor.db")) == 1


def test_the_wal_starts_over_under_a_steady_stream_of_inserts(tmp_path: Path) -> None:
    """Inserts that never wait for the background checkpoints (as under load): a passive checkpoint then never finds
    the WAL fully copied when the next insert begins, and SQLite never starts it over; past ``restart_frames`` a
    catch-up copy on the writer's connection lets the next insert do so. Once the stream stops, the next insert after
    a checkpoint cuts the file back to the size limit (without it the file keeps the largest size it reached)."""
    path = tmp_path / "advisor.db"
    database = Database(f"sqlite:///{path}")
    upgrade(database.engine)
    writer = database.immediate
    writer.checkpoint_every, writer.restart_frames = 16, 1_024
    largest = 0
    try:
        for _ in range(2_500):
            assert writer.insert(TABLE, _row(size=6000))
            largest = max(largest, _wal_pages(path))
        writer.wait_checkpoint()
        assert writer.catch_ups > 0
        assert largest < 9_000  # ~15,700 pages if the WAL never starts over
        with database.engine.connect() as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
        assert writer.insert(TABLE, _row(size=6000))
        assert len(_stored(path)) == 2_501
        assert _wal_pages(path) <= WAL_SIZE_LIMIT // 4096 + 10
    finally:
        database.dispose()
