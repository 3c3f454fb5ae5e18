"""API processes on a fresh PostgreSQL schema and Redis database, to kill and start again like an operator would."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from scripts.run_scaled import Stack
from tests.service.scale.services import fresh_redis, fresh_schema, require_services
from tests.service.worker.process import free_port


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Stack]:
    """The scaled environment without Chroma or a worker: start API processes with ``shared.start_api(port)``.

    TMPDIR is the test's own, so files the web framework spools there are visible to the test.
    """
    require_services(chroma=False)
    spool = tmp_path / "spool"
    spool.mkdir()
    with fresh_schema() as database_url, fresh_redis() as redis_url:
        stack = Stack(tmp_path / "data", database_url, redis_url, (), free_port(), free_port(), extra_env={"TMPDIR": str(spool)})
        stack.data_dir.mkdir()
        try:
            yield stack
        finally:
            stack.stop()


def count_rows(database_url: str, table: str) -> int:
    engine = create_engine(database_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one())
    finally:
        engine.dispose()
