"""Inserts committed on the event loop when SQLite can take them at once, else handed back (ADR 0023).

A route whose work is CPU and one insert (a plain POST /v1/advice) loses more to the thread-pool hop than the insert
costs: at 8 connections the hop and the GIL hand-offs around it doubled the server's CPU per request, measured over
HTTP (docs/benchmarks.md). ADR 0006 keeps database work off the loop because a wait there stalls every request; this
writer never waits. It owns one SQLite connection, used only under a lock it never blocks on, whose busy timeout is
0: when another writer holds SQLite's write lock the insert fails at once with nothing written, and the caller takes
the thread pool as before. Its WAL auto-checkpoint is off, so a checkpoint's copy and fsync never run on the loop;
every ``pool_every``-th insert is handed back instead, and the pooled connection that commits it checkpoints the
WAL as SQLite does for every other write. PostgreSQL and engines with cursor events are never served.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

from sqlalchemy import Engine, Table
from sqlalchemy.exc import DBAPIError

from service.store import driver

# Every 128th insert takes a pooled connection: at ~3 WAL pages an advice, the WAL reaches SQLite's 1,000-page
# checkpoint mark between two of them, so it stays under ~1,400 pages (~6 MB) however long the loop writes.
POOL_EVERY = 128
_WAITS = (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)


class ImmediateWriter:
    """One engine's loop-side inserts: ``insert`` commits a row at once or returns False and writes nothing."""

    def __init__(self, engine: Engine, pool_every: int = POOL_EVERY) -> None:
        self.engine = engine
        self.pool_every = pool_every
        self._connection: Any = None
        self._lock = threading.Lock()
        self._count = 0
        self._file = engine.url.database not in (None, "", ":memory:")  # each connection to memory is its own database
        self.handed_back = 0  # inserts refused because SQLite was busy: the thread pool wrote them

    def insert(self, table: Table, row: dict[str, Any]) -> bool:
        """Insert ``row`` into ``table`` and commit it now, or return False with nothing written: the engine is not
        SQLite's driver, another thread is inside this writer, SQLite's write lock is held, or this is the insert
        that goes through the pool so the WAL gets checkpointed."""
        if not self._file or not driver.serves(self.engine) or not self._lock.acquire(blocking=False):
            return False
        try:
            self._count += 1
            if self._count % self.pool_every == 0:
                return False
            dialect = self.engine.dialect
            sql, params = driver.statement(dialect, table, row)
            try:
                driver.execute(self._open(), dialect, sql, params)
            except DBAPIError as exc:
                if getattr(exc.orig, "sqlite_errorcode", 0) & 0xFF not in _WAITS:
                    raise
                self.handed_back += 1
                return False
            return True
        finally:
            self._lock.release()

    def _open(self) -> Any:
        if self._connection is None:
            pooled = self.engine.raw_connection()  # the engine's connect listener sets WAL and the other pragmas
            pooled.detach()  # ours until close(): the pool neither counts nor resets it
            connection: Any = pooled.dbapi_connection
            connection.execute("PRAGMA busy_timeout=0")
            connection.execute("PRAGMA wal_autocheckpoint=0")
            self._connection = connection
        return self._connection

    def close(self) -> None:
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None
