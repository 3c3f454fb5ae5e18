"""The job queue: Huey on SQLite in the data dir by default, on Redis when ADVISOR_REDIS_URL is set."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from service.config import Settings


@dataclass(frozen=True)
class Queue:
    huey: Huey
    ingest: Any  # the Huey task wrapper: calling it enqueues


@lru_cache(maxsize=8)
def _queue(data_dir: str, redis_url: str | None) -> Queue:
    from service.worker.tasks import run_ingest

    huey: Huey
    if redis_url:
        huey = RedisHuey("advisor", url=redis_url, results=False)
    else:
        huey = SqliteHuey("advisor", filename=f"{data_dir}/jobs.db", results=False)
    return Queue(huey=huey, ingest=huey.task(name="ingest")(run_ingest))


def get_queue(settings: Settings) -> Queue:
    """One queue per (data dir, Redis URL) in a process, with the tasks registered on it."""
    settings.ensure_dirs()
    return _queue(str(settings.data_dir.resolve()), settings.redis_url)
