"""A live server for the abuse suite: keys on, Slack on, served by uvicorn on loopback, on one of two backends:
SQLite with the job queue in the data dir, or PostgreSQL with the job queue (and rate limits) on Redis.

Requests go over real HTTP (httpx, or raw sockets where the connection itself is the point), the way an
attacker or a careless client sends them; nothing is called in-process.
"""

from __future__ import annotations

import dataclasses
import socket
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from service.auth.service import issue
from service.config import Settings
from service.errors import PROBLEM_JSON
from service.main import create_app
from tests.conftest import TODAY
from tests.service.slack.fake_slack import FakeSlack, fake_slack, serve

SLACK_SECRET = "abuse-signing-secret"
WORKSPACES = {"T1": {"bot_token": "xoxb-abuse", "tenant": "acme"}}


@dataclass
class Live:
    """A served app, a client holding a key of tenant ``acme``, and the fake Slack it posts to."""

    url: str
    app: FastAPI
    http: httpx.Client
    key: dict[str, str]
    slack: FakeSlack

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.key, **kwargs.pop("headers", {})}
        return self.http.request(method, f"{self.url}{path}", headers=headers, **kwargs)

    def wait_job(self, job_id: str, timeout: float = 180.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job: dict[str, Any] = self.api("GET", f"/v1/jobs/{job_id}").json()
            if job["state"] in ("succeeded", "failed"):
                return job
            time.sleep(0.2)
        raise AssertionError(f"job {job_id} did not finish")


def live_settings(data_dir: Path, slack_url: str, database_url: str | None = None, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "auth": "on",
        "rate_limit_per_minute": 0,
        "slack_signing_secret": SecretStr(SLACK_SECRET),
        "slack_workspaces": WORKSPACES,
        "slack_api_url": slack_url,
        "intake_provider": "rules",
    } | overrides
    return Settings(**values)


@dataclass(frozen=True)
class Backend:
    """Where a stack keeps its state: SQLite and Huey's SQLite queue (in the data dir), or PostgreSQL and Redis."""

    database_url: str | None
    redis_url: str | None = None

    @property
    def env(self) -> dict[str, str]:
        """The same choice for a worker process."""
        env = {"ADVISOR_DATABASE_URL": self.database_url} if self.database_url else {}
        return env | ({"ADVISOR_REDIS_URL": self.redis_url} if self.redis_url else {})


def backend_for(request: pytest.FixtureRequest, kind: str, data_dir: Path) -> Backend:
    """``sqlite``: a file in ``data_dir``; ``postgres``: the session's schema and the session's Redis database."""
    if kind == "sqlite":
        return Backend(f"sqlite:///{data_dir / 'store.db'}")
    return Backend(request.getfixturevalue("postgres_url"), request.getfixturevalue("session_redis"))


@pytest.fixture(scope="session")
def session_redis() -> Iterator[str]:
    """A Redis database number of this session's own, emptied at its end (that database only, never FLUSHALL)."""
    from tests.service.scale.services import fresh_redis, require_services

    require_services(postgres=False, chroma=False)
    with fresh_redis() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    """SQLite, then PostgreSQL + Redis."""
    return backend_for(request, request.param, tmp_path)


@contextmanager
def live_server(data_dir: Path, backend: Backend | None = None, **overrides: Any) -> Iterator[Live]:
    """Serve an app with keys on and Slack on over ``data_dir`` (and ``backend``) until the block ends;
    ``overrides`` are more settings (a lower quota, a metrics token)."""
    backend = backend or Backend(None)
    overrides.setdefault("redis_url", backend.redis_url)
    with fake_slack() as slack:
        app = create_app(live_settings(data_dir, slack.url, backend.database_url, **overrides), clock=lambda: TODAY)
        with app.state.database.session() as session:
            key = issue(session, "acme", "abuse").key
        with serve(app) as url, httpx.Client(timeout=30) as http:
            yield Live(url, app, http, {"Authorization": f"Bearer {key}"}, slack)
        app.state.database.dispose()


@contextmanager
def live_with_worker(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, kind: str, env: dict[str, str] | None = None
) -> Iterator[Live]:
    """A served app and a real worker (``env``: more of its settings) on one new data dir of backend ``kind``."""
    from tests.service.worker.process import Worker

    data_dir = tmp_path_factory.mktemp(request.node.name.split("[")[0][:40] or "worker") / "data"
    data_dir.mkdir()
    backend = backend_for(request, kind, data_dir)
    worker = Worker(data_dir, backend.env | (env or {}))
    worker.start()
    try:
        with live_server(data_dir, backend) as live:
            yield live
    finally:
        worker.stop()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """The server on SQLite, shared by a module's tests (they create, never depend on what others created)."""
    with live_server(tmp_path_factory.mktemp("live") / "data") as server:
        yield server


@pytest.fixture
def live_db(tmp_path: Path, backend: Backend) -> Iterator[Live]:
    """The server on SQLite, then on PostgreSQL + Redis."""
    with live_server(tmp_path / "data", backend) as server:
        yield server


def other_tenant_key(live: Live, tenant: str = "globex") -> dict[str, str]:
    """An Authorization header of another tenant's key, on the same server."""
    with live.app.state.database.session() as session:
        return {"Authorization": f"Bearer {issue(session, tenant, 'abuse').key}"}


def as_new_tenant(live: Live) -> Live:
    """The same server, with the key of a tenant no other test uses (the PostgreSQL schema is shared by the session,
    so a tenant's lists, stored bytes and queued jobs would otherwise hold what earlier tests left)."""
    return dataclasses.replace(live, key=other_tenant_key(live, f"t-{uuid.uuid4().hex[:12]}"))


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """A problem+json answer with this status and code, whose request_id is the X-Request-ID header's."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON), response.headers
    body: dict[str, Any] = response.json()
    assert body["code"] == code, body
    assert body["request_id"] == response.headers["x-request-id"], body
    return body


def exchange(port: int, *requests: bytes, timeout: float = 10.0) -> list[bytes]:
    """Send raw HTTP/1.1 requests one after the other on ONE connection; each answer's head and body.

    A server that drops the connection after a failure makes a later request fail here (ConnectionError or
    an empty read), which an httpx client would hide by reconnecting.
    """
    answers: list[bytes] = []
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        reader = sock.makefile("rb")
        for request in requests:
            sock.sendall(request)
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                byte = reader.read(1)
                if not byte:
                    raise ConnectionError(f"the server closed the connection; answers so far: {answers}")
                head += byte
            length = next(
                (int(line.split(b":", 1)[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")),
                0,
            )
            answers.append(head + reader.read(length))
    return answers


def raw_post(path: str, body: bytes, **headers: str) -> bytes:
    lines = [f"POST {path} HTTP/1.1", "Host: 127.0.0.1", f"Content-Length: {len(body)}", "Connection: keep-alive"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


def multipart(files: list[tuple[str, bytes, bytes]], fields: dict[str, str] | None = None) -> tuple[bytes, dict[str, str]]:
    """A multipart/form-data body built by hand: file names go in as raw bytes (httpx would percent-encode a NUL)."""
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
        for name, value in (fields or {}).items()
    ]
    for field, filename, content in files:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="'.encode()
        parts.append(head + filename + b'"\r\nContent-Type: application/octet-stream\r\n\r\n' + content + b"\r\n")
    body = b"".join(parts) + f"--{boundary}--\r\n".encode()
    return body, {"content-type": f"multipart/form-data; boundary={boundary}"}


def raw_get(path: str) -> bytes:
    return f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n".encode()
