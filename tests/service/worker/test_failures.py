"""While Redis or the database is down the worker logs the first failure in full, then one count per interval."""

from __future__ import annotations

import io
import logging
import re
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from service.worker.failures import FailureFilter, dependency_of
from tests.service.worker.process import Worker

BAD_REDIS = "redis://127.0.0.1:1"  # nothing listens on port 1: every connection is refused at once


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def captured() -> Iterator[tuple[logging.Logger, io.StringIO, logging.Handler]]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    old_level = root.level
    root.setLevel(logging.INFO)
    yield logging.getLogger("huey.consumer.Worker"), stream, handler
    root.removeHandler(handler)
    root.setLevel(old_level)


def redis_failure() -> BaseException:
    try:
        redis.Redis.from_url(BAD_REDIS, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        return exc
    raise AssertionError("something answers on port 1")


def database_failure() -> BaseException:
    engine = create_engine("postgresql+psycopg://postgres@127.0.0.1:1/test", connect_args={"connect_timeout": 2})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except OperationalError as exc:
        return exc
    finally:
        engine.dispose()
    raise AssertionError("something answers on port 1")


def test_failures_are_told_apart_by_dependency() -> None:
    assert dependency_of(redis_failure()) == "redis"
    assert dependency_of(database_failure()) == "database"
    assert dependency_of(ValueError("a bug, not an outage")) is None
    try:
        raise RuntimeError("the task failed") from redis_failure()
    except RuntimeError as wrapped:
        assert dependency_of(wrapped) == "redis", "the cause counts"


def test_a_redis_outage_logs_one_traceback_then_a_count_per_interval_then_the_recovery(
    captured: tuple[logging.Logger, io.StringIO, logging.Handler],
) -> None:
    huey_log, stream, handler = captured
    clock = Clock()
    failures = FailureFilter(interval=60, clock=clock)
    handler.addFilter(failures)
    exc = redis_failure()
    for _ in range(300):  # 300 failures, one every half second: two and a half minutes of outage
        try:
            raise exc
        except redis.RedisError:
            huey_log.exception("Error reading from queue")
        clock.now += 0.5
    huey_log.error("an unrelated error still gets through")
    failures.recovered("redis")
    failures.recovered("redis")  # said once
    lines = stream.getvalue().splitlines()
    assert stream.getvalue().count("Traceback") == tracebacks(exc), "the first failure's, in full, and no other"
    assert sum("Error reading from queue" in line for line in lines) == 1
    summaries = [line for line in lines if "redis unavailable" in line]
    assert len(summaries) == 2, summaries  # at 60 s and 120 s; the last 30 s are in the recovery line
    counts = [int(re.search(r"(\d+) failures in the last (\d+) s", line).group(1)) for line in summaries]  # type: ignore[union-attr]
    assert counts == [120, 120]
    assert sum("redis is back after 150 s and 300 failures" in line for line in lines) == 1
    assert "an unrelated error still gets through" in stream.getvalue()
    assert len(lines) < 80, "a few lines (and one traceback), not 300 tracebacks"


Captured = tuple[logging.Logger, io.StringIO, logging.Handler]


def tracebacks(exc: BaseException) -> int:
    """A chained exception prints a traceback per link."""
    return "".join(traceback.format_exception(exc)).count("Traceback")


def test_outages_of_redis_and_the_database_are_counted_apart(captured: Captured) -> None:
    huey_log, stream, handler = captured
    clock = Clock()
    failures = FailureFilter(interval=10, clock=clock)
    handler.addFilter(failures)
    first_redis, first_database = redis_failure(), database_failure()
    for exc in (first_redis, first_database, redis_failure(), database_failure()):
        huey_log.error("failed", exc_info=exc)
    assert stream.getvalue().count("Traceback") == tracebacks(first_redis) + tracebacks(first_database), "each one's first"
    failures.recovered("database")
    assert "database is back" in stream.getvalue() and "redis is back" not in stream.getvalue()


def test_a_worker_on_an_unreachable_redis_logs_a_bounded_number_of_lines(tmp_path: Path) -> None:
    worker = Worker(tmp_path, {"ADVISOR_REDIS_URL": BAD_REDIS, "ADVISOR_FAILURE_LOG_SECONDS": "3", "ADVISOR_LOG_FORMAT": "text"})
    log = tmp_path / "worker.log"
    worker.start()  # its endpoint answers: searches need no Redis
    try:
        deadline = time.monotonic() + 120
        counted = 0
        while counted < 20 and time.monotonic() < deadline:
            time.sleep(0.5)
            counted = sum(int(n) for n in re.findall(r"redis unavailable, (\d+) failures", log.read_text()))
    finally:
        worker.stop()
    text_ = log.read_text()
    assert counted >= 20, text_[-3000:]
    assert text_.count("Error reading") == 1, "Huey logs the first failed read (of the queue or the schedule) in full"
    assert "Traceback" not in text_[text_.index("redis unavailable") :], "no traceback after the first failure"
    records = [line for line in text_.splitlines() if re.match(r"\d\d:\d\d:\d\d ", line)]  # a traceback's lines are not
    redis_lines = [line for line in records if "redis" in line or "Error reading" in line]
    failures = counted + 1
    assert len(redis_lines) <= failures / 2, f"{len(redis_lines)} lines for {failures} failures"
