"""While Redis or the database is down, the worker says so once, then counts: no traceback a second.

Huey's consumer logs every failed read of the queue with a traceback, about twice a second while Redis
is away; the lease sweep fails each round while the database is. A filter on the worker's log handler
lets the first failure of each dependency through (with its traceback), swallows the repeats, and writes
one summary per ADVISOR_FAILURE_LOG_SECONDS ("redis unavailable, 57 failures in the last 60 s"), and
one line when the dependency answers again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from typing import Any

import redis
from sqlalchemy.exc import DBAPIError

log = logging.getLogger("service.worker.failures")
DEPENDENCIES = ("redis", "database")


def dependency_of(exc: BaseException | None) -> str | None:
    """``redis`` or ``database`` when ``exc`` (or what caused it) says that dependency does not answer."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, redis.ConnectionError | redis.TimeoutError):
            return "redis"
        if isinstance(exc, DBAPIError) and not isinstance(exc.orig, sqlite3.IntegrityError):
            return "database"
        if isinstance(exc, sqlite3.OperationalError):  # Huey's SQLite queue, below SQLAlchemy
            return "database"
        exc = exc.__cause__ or exc.__context__
    return None


class RepeatedFailures:
    """One dependency's outage: first failure, then a count per interval, then the recovery."""

    def __init__(self, name: str, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.name, self.interval, self.clock = name, interval, clock
        self.down_since: float | None = None
        self.total = 0
        self._window_start = 0.0
        self._window = 0
        self._guard = threading.Lock()

    def failed(self) -> bool:
        """Count a failure; True when it is the first of an outage (the caller logs it in full)."""
        with self._guard:
            now = self.clock()
            self.total += 1
            if self.down_since is None:
                self.down_since, self._window_start, self._window = now, now, 0
                return True
            self._window += 1
            if now - self._window_start >= self.interval:
                log.warning(
                    "%s unavailable, %d failures in the last %.0f s (down for %.0f s)",
                    self.name,
                    self._window,
                    now - self._window_start,
                    now - self.down_since,
                )
                self._window_start, self._window = now, 0
            return False

    def recovered(self) -> None:
        with self._guard:
            if self.down_since is None:
                return
            log.warning("%s is back after %.0f s and %d failures", self.name, self.clock() - self.down_since, self.total)
            self.down_since, self.total, self._window = None, 0, 0


class FailureFilter(logging.Filter):
    """On the log handler: a record carrying a dependency's failure passes only if it is the outage's first."""

    def __init__(self, interval: float, clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__()
        self.watch = {name: RepeatedFailures(name, interval, clock) for name in DEPENDENCIES}

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == log.name or not record.exc_info:
            return True
        dependency = dependency_of(record.exc_info[1])
        if dependency is None:
            return True
        return self.watch[dependency].failed()

    def recovered(self, dependency: str) -> None:
        self.watch[dependency].recovered()

    def install(self) -> None:
        """On every handler of the root logger (where configure_logging put the process's one handler)."""
        for handler in logging.getLogger().handlers:
            if self not in handler.filters:
                handler.addFilter(self)


def watch_queue(huey: Any, failures: FailureFilter, dependency: str) -> None:
    """Tell ``failures`` when the consumer's read of the queue works again (Huey reports only the failures)."""
    dequeue = huey.dequeue

    def dequeue_and_report() -> Any:
        task = dequeue()
        failures.recovered(dependency)
        return task

    huey.dequeue = dequeue_and_report
