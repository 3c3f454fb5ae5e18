"""The edge answers a lean route without FastAPI's router (ADR 0024): the same answers, errors through the app's
exception handlers as the router would give them, and anything the lean route does not take left to the router."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException

from service.advice import service as advice
from service.api.direct import handler_for
from service.config import Settings
from service.errors import AdvisorError, ValidationFailed
from service.main import create_app
from tests.conftest import TODAY

PROFILE = {"task": "Label support tickets", "examples": 300, "requests_per_day": 4322}


@pytest.fixture
def served(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, clock=lambda: TODAY)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.database.dispose()


@pytest.fixture
def routed(served: TestClient, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths FastAPI's router handed to a lean route's own handler."""
    from service.api.route_table import RouteTable

    calls: list[str] = []
    for entry in RouteTable(served.app).entries:  # type: ignore[arg-type]
        route: Any = entry.route
        if entry.direct is None:
            continue
        handle = route.handle

        async def counted(scope: Any, receive: Any, send: Any, handle: Any = handle) -> None:
            calls.append(scope["path"])
            await handle(scope, receive, send)

        monkeypatch.setattr(route, "handle", counted)
    return calls


def test_a_plain_advice_never_reaches_the_router(served: TestClient, routed: list[str]) -> None:
    response = served.post("/v1/advice", json=PROFILE)
    assert response.status_code == 201, response.text
    assert routed == []
    assert served.get(response.headers["location"]).json() == response.json()
    refused = served.post("/v1/advice?lang=fr", json=PROFILE)  # not the lean route's: FastAPI's 422, via the router
    assert refused.status_code == 422 and routed == ["/v1/advice"]
    unknown = served.post("/v1/advice", json={"task": "x", "surprise": 1})  # the body field refuses it
    assert unknown.status_code == 422 and routed == ["/v1/advice"] * 2
    assert unknown.headers["content-type"] == "application/problem+json"


def test_a_search_gets_its_path_parameter(served: TestClient, routed: list[str]) -> None:
    response = served.post("/v1/knowledge-bases/nowhere/query", json={"q": "holidays"})
    assert response.status_code == 404, response.text  # the path parameter was read: no such knowledge base
    assert response.json()["code"] == "knowledge_base_not_found" and "nowhere" in response.json()["detail"]
    assert routed == []


@pytest.mark.parametrize(
    ("error", "status", "code"),
    [
        (ValidationFailed("no", code="bad_profile", field="task"), 422, "bad_profile"),
        (OperationalError("INSERT", {}, Exception("disk I/O error")), 503, "database_unavailable"),
        (RuntimeError("boom"), 500, "internal_error"),
    ],
)
def test_errors_get_the_apps_handlers(
    served: TestClient, routed: list[str], monkeypatch: pytest.MonkeyPatch, error: Exception, status: int, code: str
) -> None:
    def fail(*_args: Any) -> Any:
        raise error

    monkeypatch.setattr(advice, "decide_plain", fail)
    response = served.post("/v1/advice", json=PROFILE)
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code and routed == []
    assert response.headers["x-request-id"]  # the middleware outside the edge still wrapped it
    assert served.get("/healthz").status_code == 200  # and the service keeps running


def test_handler_lookup_follows_starlette() -> None:
    def mine(*_: Any) -> None: ...
    def teapot(*_: Any) -> None: ...
    def fallback(*_: Any) -> None: ...

    handlers: dict[Any, Any] = {AdvisorError: mine, 418: teapot, 500: fallback, Exception: fallback}
    assert handler_for(handlers, ValidationFailed("x")) is mine  # nearest class in the MRO
    assert handler_for(handlers, HTTPException(418)) is teapot  # a status code's handler first
    assert handler_for(handlers, HTTPException(404)) is None
    assert handler_for(handlers, HTTPException(500)) is None  # 500 and Exception: the server-error middleware's
    assert handler_for(handlers, RuntimeError()) is None
