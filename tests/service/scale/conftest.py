"""Two API processes, a worker and a Chroma server on PostgreSQL + Redis: the stack `make run-scaled` starts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.run_scaled import Stack
from tests.service.scale.services import fresh_redis, fresh_schema, require_services
from tests.service.worker.process import free_port


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    require_services()
    with fresh_schema() as database_url, fresh_redis() as redis_url:
        ports = (free_port(), free_port())
        scaled = Stack(tmp_path_factory.mktemp("scaled"), database_url, redis_url, ports, free_port(), free_port())
        scaled.start()
        try:
            yield scaled
        finally:
            scaled.stop()
