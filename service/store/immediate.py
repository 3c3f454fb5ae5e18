"""Inserts committed on the event loop when SQLite can take them at once, else handed back (ADR 0023).

A route whose work is CPU and one insert (a plain POST /v1/advice) loses more to the thread-pool hop than the insert
costs: at 8 connections the hop and the GIL hand-offs around it doubled the server's CPU per request, measured over
HTTP (docs/benchmarks.md). ADR 0006 keeps database work off the loop because a wait there stalls every request; this
writer never waits. It owns one SQLite connection, used only under a lock it never blocks on, whose busy timeout is
0: when another writer holds SQLite's write lock the insert fails at once with nothing written, and the caller takes
the thread pool as before. Its WAL auto-checkpoint is off, so a checkpoint's page copy and fsync never run on the
loop: every ``checkpoint_every`` inserts it asks its own background thread for a passive checkpoint on a pooled
connection (which neither blocks writers nor waits for readers). PostgreSQL and engines with cursor events are never
served.

``insert_soon`` commits the rows the loop's requests hand in during one turn of the loop in one transaction, at the
start of the next turn (ADR 0038): at 8 connections ~3 rows share the lock calls, the database header and the index
pages each commit writes. Each caller learns its own row's outcome; a row whose error fails the transaction is retried
alone, so the error is only its own request's. One event loop at a time hands rows in.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.exc import DBAPIError

from service.store import driver

# A checkpoint every 128 inserts: at ~3 WAL pages an advice, about SQLite's own 1,000-page mark between two.
CHECKPOINT_EVERY = 128
# A passive checkpoint beside a stream of inserts never finds the WAL fully copied when the next insert begins, and
# only then does SQLite start the WAL over: under steady load it grew by every page written (159 MB after 36,000
# advice in bench/advice_profile.py, and each insert slower). Past this many frames (64 MiB of 4 KiB pages) the
# background checkpoint asks the writer to copy, before its next insert, the few frames appended meanwhile: the WAL is
# then fully copied when that insert begins, and it starts the WAL over (ADR 0023, amended).
WAL_RESTART_FRAMES = 16_384
_WAITS = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
log = logging.getLogger(__name__)


class ImmediateWriter:
    """One engine's loop-side inserts: ``insert`` commits a row at once or returns False and writes nothing."""

    def __init__(
        self,
        engine: Engine,
        connect: Callable[[], Any],
        checkpoint_every: int = CHECKPOINT_EVERY,
        restart_frames: int = WAL_RESTART_FRAMES,
    ) -> None:
        self.engine = engine
        self._connect = connect  # a new connection outside the pool: opening it never waits for one to come back
        self.checkpoint_every = checkpoint_every
        self.restart_frames = restart_frames
        self._catch_up = False  # set by the background checkpoint: copy the rest before the next insert
        self.catch_ups = 0  # such copies made before an insert (each lets that insert start the WAL over)
        self._connection: Any = None
        self._lock = threading.Lock()
        self.committed = 0  # inserts committed on the caller's thread (the event loop)
        self._checkpointer: ThreadPoolExecutor | None = None
        self._checkpoint: Future[None] | None = None
        self._file = engine.url.database not in (None, "", ":memory:")  # each connection to memory is its own database
        self.handed_back = 0  # inserts refused because SQLite was busy: the thread pool wrote them
        self._queued: list[tuple[Table, dict[str, Any]]] = []  # insert_soon's rows of this turn, the first one's first
        self._joined: list[asyncio.Future[bool]] = []  # the answers of the rows after the first
        self._queued_on: asyncio.AbstractEventLoop | None = None
        self.transactions = 0  # committed transactions (committed / transactions: rows per transaction)

    def insert(self, table: Table, row: dict[str, Any]) -> bool:
        """Insert ``row`` into ``table`` and commit it now, or return False with nothing written: the engine is not
        SQLite's driver, another thread is inside this writer, or SQLite's write lock is held."""
        return self._insert([(table, row)])

    async def insert_soon(self, table: Table, row: dict[str, Any]) -> bool:
        """``insert``, committed in one transaction with the rows other requests hand in during the same turn of the
        event loop (ADR 0038): True once it is committed, False with nothing written when SQLite is busy (or the
        engine is not one this writer serves). A row that fails on its own raises its error, for its request only.

        The turn's first row waits one turn of the loop (the requests ready in this one run meanwhile), then commits
        every row handed in and answers the others; a lone request pays one turn, not a callback and a wake-up."""
        if not self._file or not driver.serves(self.engine):
            return False
        loop = asyncio.get_running_loop()
        if self._queued:
            if self._queued_on is not loop:  # another loop's turn is pending: not this one's to join
                return self.insert(table, row)
            joined: asyncio.Future[bool] = loop.create_future()
            self._queued.append((table, row))
            self._joined.append(joined)
            return await joined
        self._queued, self._queued_on = [(table, row)], loop
        try:
            await asyncio.sleep(0)
        finally:  # this request may have gone away meanwhile: the rows are committed all the same, the others answered
            own = self._commit_queued()
        if isinstance(own, BaseException):
            raise own
        return own

    def _commit_queued(self) -> bool | BaseException:
        """Commit the queued rows, answer the requests that joined, and return the first row's outcome."""
        rows, joined = self._queued, self._joined
        self._queued, self._joined = [], []
        outcomes: list[bool | BaseException]
        try:
            outcomes = self._insert_together(rows)
        except BaseException as exc:  # no request is left waiting for an answer that never comes
            outcomes = [exc] * len(rows)
        for future, outcome in zip(joined, outcomes[1:], strict=True):
            if future.done():  # its request went away meanwhile; the row is stored all the same
                continue
            if isinstance(outcome, BaseException):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)
        return outcomes[0]

    def _insert_together(self, rows: list[tuple[Table, dict[str, Any]]]) -> list[bool | BaseException]:
        """Each row's outcome: all committed in one transaction, or all handed back (busy), or, when a row's error
        failed the transaction, each row on its own, so that error is only its own request's."""
        try:
            return [self._insert(rows)] * len(rows)
        except Exception:
            if len(rows) == 1:
                raise
        return [self._insert_alone(row) for row in rows]

    def _insert_alone(self, row: tuple[Table, dict[str, Any]]) -> bool | BaseException:
        try:
            return self._insert([row])
        except Exception as exc:
            return exc

    def _insert(self, rows: list[tuple[Table, dict[str, Any]]]) -> bool:
        """``rows`` committed in one transaction, or False with nothing written (see ``insert``)."""
        if not self._file or not driver.serves(self.engine) or not self._lock.acquire(blocking=False):
            return False
        try:
            if self._catch_up:
                self._copy_the_rest()
            dialect = self.engine.dialect
            statements = [driver.statement(dialect, table, row) for table, row in rows]
            try:
                if len(statements) == 1:
                    driver.execute(self._open(), dialect, *statements[0])
                else:
                    driver.execute_together(self._open(), dialect, statements)
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlite_errorcode", 0) & 0xFF not in _WAITS:
                    raise
                self.handed_back += len(rows)
                return False
            before, self.committed = self.committed, self.committed + len(rows)
            self.transactions += 1
            if before // self.checkpoint_every != self.committed // self.checkpoint_every:
                self._start_checkpoint()
            return True
        finally:
            self._lock.release()

    def _start_checkpoint(self) -> None:
        """A passive checkpoint in the background, unless one is still running (called under the lock)."""
        if self._checkpoint is not None and not self._checkpoint.done():
            return
        if self._checkpointer is None:
            self._checkpointer = ThreadPoolExecutor(1, thread_name_prefix="wal-checkpoint")
        self._checkpoint = self._checkpointer.submit(self._checkpoint_now)

    def _checkpoint_now(self) -> None:
        try:
            pooled = self.engine.raw_connection()
            try:
                connection: Any = pooled.dbapi_connection
                busy, frames, _ = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
                if not busy and frames >= self.restart_frames:
                    self._catch_up = True
            finally:
                pooled.close()
        except Exception:  # the next one retries; a failed checkpoint loses nothing, the WAL only grows meanwhile
            log.warning("WAL checkpoint failed", exc_info=True)

    def _copy_the_rest(self) -> None:
        """A passive checkpoint on the writer's connection, of the frames written since the background one (a few):
        the insert that follows finds the WAL fully copied and starts it over. It syncs the database file on the
        loop, once per ``restart_frames`` frames; a failure only leaves the WAL to grow until the next try."""
        self._catch_up = False
        try:
            busy, _, _ = self._open().execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
            self.catch_ups += not busy
        except sqlite3.Error:
            log.warning("WAL catch-up checkpoint failed", exc_info=True)

    def wait_checkpoint(self) -> None:
        """Until the checkpoint in flight, if any, has finished (tests, shutdown)."""
        checkpoint = self._checkpoint
        if checkpoint is not None:
            checkpoint.result()

    def _open(self) -> Any:
        if self._connection is None:
            connection = self._connect()
            connection.execute("PRAGMA busy_timeout=0")
            connection.execute("PRAGMA wal_autocheckpoint=0")
            self._connection = connection
        return self._connection

    def close(self) -> None:
        with self._lock:
            if self._checkpointer is not None:
                self._checkpointer.shutdown(wait=True)
                self._checkpointer = self._checkpoint = None
            if self._connection is not None:
                self._connection.close()
                self._connection = None
