"""POST /v1/advice's lean path (ADR 0019): plain requests skip FastAPI's dependency solving and, when they read
nothing from the store, the session; everything else takes FastAPI's handler and a session, as before.

What the answers are is pinned byte for byte by test_response_bytes.py; this file checks which path each request takes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import MetaData, Table, event

from service.config import Settings
from service.deps import Served, get_served
from service.main import create_app
from service.store import driver
from service.store.db import Database
from tests.conftest import TODAY

PROFILE = {"task": "Label support tickets", "examples": 300, "requests_per_day": 4321}


@pytest.fixture
def sessions(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per session the app's database opened."""
    opened: list[int] = []
    session = Database.session

    def counted(self: Database) -> Any:
        opened.append(1)
        return session(self)

    monkeypatch.setattr(Database, "session", counted)
    return opened


@pytest.mark.parametrize(
    ("query", "body"),
    [("", PROFILE), ("?lang=he", PROFILE), ("?lang=en", {"profile": PROFILE, "lang": "he"})],
)
def test_a_plain_request_skips_dependency_solving_and_the_session(
    client: TestClient, solved: list[str], sessions: list[int], query: str, body: dict[str, Any]
) -> None:
    response = client.post(f"/v1/advice{query}", json=body)
    assert response.status_code == 201, response.text
    assert solved == [] and sessions == []
    stored = client.get(response.headers["location"])  # committed before the 201
    assert stored.status_code == 200 and stored.json() == response.json()


@pytest.mark.parametrize(
    ("query", "body", "status"),
    [
        ("", {"task": "x", "surprise": 1}, 422),  # the body field refuses it: FastAPI's own 422
        ("?lang=fr", PROFILE, 422),  # a query value the lean path does not take
        ("?lang=he&lang=en", PROFILE, 201),  # two values: FastAPI decides which counts
    ],
)
def test_anything_else_takes_fastapis_handler(
    client: TestClient, solved: list[str], query: str, body: dict[str, Any], status: int
) -> None:
    response = client.post(f"/v1/advice{query}", json=body)
    assert response.status_code == status, response.text
    assert solved == ["/v1/advice"]


def test_a_request_that_builds_an_artifact_opens_a_session(client: TestClient, sessions: list[int]) -> None:
    response = client.post("/v1/advice", json={"profile": PROFILE, "artifact": True})
    assert response.status_code == 201, response.text
    assert sessions == [1]


@pytest.fixture
def overridden(settings: Settings) -> Iterator[tuple[TestClient, list[str]]]:
    app = create_app(settings, clock=lambda: TODAY)
    seen: list[str] = []

    async def other_tenant(request: Request) -> Served:
        served = await get_served(request)
        seen.append("override")
        return Served(served.database, "someone-else", served.clock, served.metrics, served.worker, served.evidence)

    app.dependency_overrides[get_served] = other_tenant
    with TestClient(app) as test_client:
        yield test_client, seen
    app.state.database.dispose()


def test_dependency_overrides_are_honoured(overridden: tuple[TestClient, list[str]]) -> None:
    client, seen = overridden
    response = client.post("/v1/advice", json=PROFILE)
    assert response.status_code == 201 and seen == ["override"]
    assert client.get(response.headers["location"]).status_code == 404  # stored for the override's tenant


def test_an_engine_the_driver_does_not_serve_stores_through_a_session(client: TestClient, sessions: list[int]) -> None:
    engine = client.app.state.database.engine  # type: ignore[attr-defined]
    statements: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "after_cursor_execute", watch)
    try:
        assert not driver.insert_committed(engine, Table("advice", MetaData()), {})  # nothing done
        response = client.post("/v1/advice", json=PROFILE)
    finally:
        event.remove(engine, "after_cursor_execute", watch)
    assert response.status_code == 201, response.text
    assert sessions == [1] and any(statement.startswith("INSERT INTO advice") for statement in statements)
    assert client.get(response.headers["location"]).json() == response.json()


@pytest.mark.postgres
def test_on_postgresql_a_plain_request_is_stored_through_a_session(postgres_url: str, tmp_path: Any, sessions: list[int]) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=postgres_url), clock=lambda: TODAY)
    try:
        with TestClient(app) as client:
            sessions.clear()  # start-up's sweeps
            response = client.post("/v1/advice", json=PROFILE)
            assert response.status_code == 201, response.text
            assert sessions == [1]  # the driver path is SQLite's: PostgreSQL keeps SQLAlchemy's
            assert client.get(response.headers["location"]).json() == response.json()
    finally:
        app.state.database.dispose()


@pytest.fixture
def hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The functions the advice route sent to the thread pool."""
    import service.advice.endpoints as endpoints

    sent: list[str] = []
    run = endpoints.run_in_threadpool

    async def counted(function: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(function.__name__)
        return await run(function, *args, **kwargs)

    monkeypatch.setattr(endpoints, "run_in_threadpool", counted)
    return sent


def test_a_plain_request_is_decided_and_stored_without_a_thread(client: TestClient, hops: list[str]) -> None:
    response = client.post("/v1/advice", json=PROFILE)
    assert response.status_code == 201, response.text
    assert hops == []  # ADR 0023: on the event loop, through the database's own writer
    assert client.get(response.headers["location"]).json() == response.json()
    client.post("/v1/advice", json={"profile": PROFILE, "artifact": True})
    assert hops == ["create_advice"]  # reading the store or building an artifact: the thread pool, as before


def test_a_busy_database_sends_the_insert_to_the_thread_pool_which_waits(client: TestClient, hops: list[str]) -> None:
    import sqlite3
    import threading
    import time

    database: Database = client.app.state.database  # type: ignore[attr-defined]
    other = sqlite3.connect(database.engine.url.database or "", isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # another writer holds the write lock until the route has handed its insert over

    def commit_once_handed_back() -> None:
        # Not after a fixed time: on a loaded machine the request could arrive after the lock was gone (seen in CI).
        deadline = time.monotonic() + 30
        while database.immediate.handed_back == 0 and time.monotonic() < deadline:
            time.sleep(0.005)
        other.execute("COMMIT")

    release = threading.Thread(target=commit_once_handed_back)
    release.start()
    try:
        response = client.post("/v1/advice", json=PROFILE)
    finally:
        release.join()
        other.close()
    assert response.status_code == 201, response.text
    assert hops == ["store_plain"] and database.immediate.handed_back == 1
    assert client.get(response.headers["location"]).json() == response.json()  # stored once, after the lock


def test_plain_requests_decided_in_one_turn_are_committed_together(client: TestClient, hops: list[str]) -> None:
    """ADR 0038: requests the event loop decides in one turn share one transaction; each is answered with its own
    advice, stored before its 201."""
    import asyncio

    import httpx

    writer = client.app.state.database.immediate  # type: ignore[attr-defined]
    before = (writer.committed, writer.transactions)
    bodies = [{**PROFILE, "requests_per_day": 5000 + n} for n in range(6)]

    async def together() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            return list(await asyncio.gather(*(http.post("/v1/advice", json=body) for body in bodies)))

    assert client.portal is not None
    responses = client.portal.call(together)
    assert [response.status_code for response in responses] == [201] * 6
    for response, body in zip(responses, bodies, strict=True):
        assert response.json()["profile"]["requests_per_day"] == body["requests_per_day"]
        assert client.get(response.headers["location"]).json() == response.json()
    assert hops == []
    assert writer.committed - before[0] == 6 and writer.transactions - before[1] < 6
