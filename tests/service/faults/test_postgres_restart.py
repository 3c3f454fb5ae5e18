"""PostgreSQL goes away and comes back: the API says 503 while it is gone and recovers without a restart.

The shared PostgreSQL serves other work, so this test runs a private cluster (initdb + pg_ctl from the
system's PostgreSQL, as the `postgres` user when we are root) on a free port and stops and starts that.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from scripts.run_scaled import Stack
from tests.service.scale.services import fresh_redis, require_services
from tests.service.scale.test_scaled import PROFILE
from tests.service.worker.process import free_port

PROBLEM = "application/problem+json"


class PrivatePostgres:
    """A throw-away cluster: `stop()` is a database outage, `start()` its return, same data and port."""

    def __init__(self) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            pytest.skip("needs PostgreSQL's server binaries (initdb, pg_ctl) under /usr/lib/postgresql/*/bin")
        self.bin = Path(found[-1]).parent
        # initdb refuses to run as root: run it as `postgres`, in a folder that user owns.
        self.as_owner = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        self.root = Path(tempfile.mkdtemp(prefix="advisor-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres")
        self.port = free_port()
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        self._run("initdb", "-D", str(self.root / "data"), "-A", "trust", "-U", "postgres", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run([*self.as_owner, str(self.bin / tool), *args], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.root / "data"), "-o", options, "-l", str(self.root / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.root / "data"), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        subprocess.run([*self.as_owner, str(self.bin / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"])
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    try:
        server.start()
        yield server
    finally:
        server.remove()


@pytest.fixture
def api(tmp_path: Path, private_postgres: PrivatePostgres) -> Iterator[tuple[httpx.Client, Stack]]:
    require_services(postgres=False, chroma=False)
    with fresh_redis() as redis_url:
        stack = Stack(tmp_path / "data", private_postgres.url, redis_url, (), free_port(), free_port())
        port = free_port()
        stack.start_api(port)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                yield client, stack
        finally:
            stack.stop()


def wait_ready(client: httpx.Client, timeout: float = 60.0) -> httpx.Response:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get("/readyz")
        if response.status_code == 200:
            return response
        time.sleep(0.2)
    raise AssertionError(f"/readyz never recovered: {response.text}")


def test_database_outage_is_503_and_recovers_without_a_restart(
    api: tuple[httpx.Client, Stack], private_postgres: PrivatePostgres
) -> None:
    client, stack = api
    (process,) = stack.children
    before = client.post("/v1/advice", json=PROFILE)
    assert before.status_code == 201
    assert client.get("/readyz").status_code == 200

    private_postgres.stop()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    assert ready.headers["content-type"] == PROBLEM and ready.json()["code"] == "database_unavailable"
    assert client.get("/healthz").status_code == 200, "liveness stays up: restarting the process would not help"
    for response in (client.post("/v1/advice", json=PROFILE), client.get(before.headers["location"])):
        assert response.status_code == 503, response.text
        assert response.headers["content-type"] == PROBLEM
        assert response.json()["code"] == "database_unavailable"

    private_postgres.start()
    assert wait_ready(client).json()["checks"]["database"] == "ok"  # the worker is reported beside it, not required
    after = client.post("/v1/advice", json=PROFILE)
    assert after.status_code == 201, after.text
    assert client.get(before.headers["location"]).json() == before.json()
    assert process.running() and stack.children == [process], "the same API process served throughout"
