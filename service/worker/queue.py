"""The job queue: Huey on SQLite in the data dir by default, on Redis when ADVISOR_REDIS_URL is set."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import redis
from huey import Huey, RedisHuey, SqliteHuey

from service.config import Settings
from service.errors import ServiceUnavailable

REDIS_CONNECT_TIMEOUT_SECONDS = 5.0  # a Redis that drops packets must not hang the request forever


class QueueUnavailable(ServiceUnavailable):
    code = "queue_unavailable"


@dataclass(frozen=True)
class Queue:
    huey: Huey
    ingest: Any  # the Huey task wrapper: calling it enqueues

    def submit_ingest(self, job_id: str) -> None:
        """Enqueue an ingestion job, or raise QueueUnavailable (503) when the queue's store does not answer."""
        try:
            self.ingest(job_id)
        except (redis.RedisError, sqlite3.Error, OSError) as exc:
            raise QueueUnavailable(
                "The job queue does not answer (is Redis up?), so the job was not accepted; retry when it is back."
            ) from exc


@lru_cache(maxsize=8)
def _queue(data_dir: str, redis_url: str | None) -> Queue:
    from service.knowledge_bases.tasks import run_ingest

    huey: Huey
    if redis_url:
        pool = redis.ConnectionPool.from_url(redis_url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS)
        huey = RedisHuey("advisor", connection_pool=pool, results=False)
    else:
        huey = SqliteHuey("advisor", filename=f"{data_dir}/jobs.db", results=False)
    return Queue(huey=huey, ingest=huey.task(name="ingest")(run_ingest))


def get_queue(settings: Settings) -> Queue:
    """One queue per (data dir, Redis URL) in a process, with the tasks registered on it."""
    settings.ensure_dirs()
    return _queue(str(settings.data_dir.resolve()), settings.redis_url)
