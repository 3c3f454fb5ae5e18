"""The job queue: Huey on SQLite in the data dir by default, on Redis when ADVISOR_REDIS_URL is set."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import redis
from huey import Huey, RedisHuey, SqliteHuey

from service.config import Settings
from service.errors import ServiceUnavailable

if TYPE_CHECKING:
    from service.worker.runtime import Runtime

REDIS_CONNECT_TIMEOUT_SECONDS = 5.0  # a Redis that drops packets must not hang the request forever


class QueueUnavailable(ServiceUnavailable):
    code = "queue_unavailable"


@dataclass(frozen=True)
class Queue:
    huey: Huey
    ingest: Any  # the Huey task wrapper: calling it enqueues
    experiment: Any

    def submit_ingest(self, job_id: str) -> None:
        """Enqueue an ingestion job, or raise QueueUnavailable (503) when the queue's store does not answer."""
        self._submit(self.ingest, job_id)

    def submit_experiment(self, experiment_id: str) -> None:
        """Enqueue an experiment (or its resumption), or raise QueueUnavailable (503)."""
        self._submit(self.experiment, experiment_id)

    @staticmethod
    def _submit(task: Any, key: str) -> None:
        try:
            task(key)
        except (redis.RedisError, sqlite3.Error, OSError) as exc:
            raise QueueUnavailable(
                "The job queue does not answer (is Redis up?), so the job was not accepted; retry when it is back."
            ) from exc


def _open(data_dir: str, redis_url: str | None, ingest: Callable[[str], None], experiment: Callable[[str], None]) -> Queue:
    huey: Huey
    if redis_url:
        pool = redis.ConnectionPool.from_url(redis_url, socket_connect_timeout=REDIS_CONNECT_TIMEOUT_SECONDS)
        huey = RedisHuey("advisor", connection_pool=pool, results=False)
    else:
        huey = SqliteHuey("advisor", filename=f"{data_dir}/jobs.db", results=False)
    return Queue(huey=huey, ingest=huey.task(name="ingest")(ingest), experiment=huey.task(name="experiment")(experiment))


@lru_cache(maxsize=8)
def _queue(data_dir: str, redis_url: str | None) -> Queue:
    from service.experiments.tasks import experiment_task
    from service.knowledge_bases.tasks import ingest_task

    return _open(data_dir, redis_url, ingest_task(None), experiment_task(None))


def get_queue(settings: Settings) -> Queue:
    """The queue to enqueue on: one per (data dir, Redis URL) in a process; its tasks run in the worker."""
    settings.ensure_dirs()
    return _queue(str(settings.data_dir.resolve()), settings.redis_url)


def worker_queue(settings: Settings, runtime: Runtime) -> Queue:
    """The worker's own queue, whose tasks run with its runtime (the consumer executes these)."""
    from service.experiments.tasks import experiment_task
    from service.knowledge_bases.tasks import ingest_task

    settings.ensure_dirs()
    return _open(str(settings.data_dir.resolve()), settings.redis_url, ingest_task(runtime), experiment_task(runtime))
