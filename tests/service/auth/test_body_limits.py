"""Every route that takes a body answers 413 problem+json past the limit: declared up front or found while streaming."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from tests.conftest import TODAY

MAX_BODY = 4096
MAX_UPLOAD_MB = 1
# Routes outside the OpenAPI schema that take bodies from the outside world; they must be limited too.
EXTRA = [("POST", "/slack/events"), ("POST", "/v1/intake")]
WRITES = {"POST", "PUT", "PATCH"}
BOUNDARY = "limit-test-boundary"


@pytest.fixture(scope="module")
def limited(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("limits"),
        max_body_bytes=MAX_BODY,
        max_upload_mb=MAX_UPLOAD_MB,
        slack_signing_secret="0123456789abcdef0123456789abcdef",  # mounts /slack/events
    )
    app = create_app(settings, clock=lambda: TODAY)
    with TestClient(app) as client:
        yield client
    app.state.database.dispose()


def _routes(client: TestClient) -> dict[tuple[str, str], set[str]]:
    """(method, path) -> the media types its body may have, from the schema and from the app's own route table."""
    routes: dict[tuple[str, str], set[str]] = {}
    for path, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            if method.upper() in WRITES:
                routes[(method.upper(), path)] = set(operation.get("requestBody", {}).get("content", {}))
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute):
            for method in (route.methods or set()) & WRITES:
                routes.setdefault((method, route.path), {"application/json"})
    for key in EXTRA:
        routes.setdefault(key, {"application/json"})
    return routes


def _url(path: str) -> str:
    return re.sub(r"\{\w+\}", lambda _: uuid.uuid4().hex, path)


def _multipart(size: int) -> bytes:
    head = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\n\r\n'.encode()
    return head + b"x" * size + f"\r\n--{BOUNDARY}--\r\n".encode()


def _assert_413(response: object, where: tuple[str, str]) -> None:
    status = getattr(response, "status_code", None)
    assert status == 413, (where, status, getattr(response, "text", ""))
    assert response.headers["content-type"] == "application/problem+json", where  # type: ignore[attr-defined]
    assert response.json()["code"] == "payload_too_large", where  # type: ignore[attr-defined]


def test_every_write_route_is_covered(limited: TestClient) -> None:
    routes = _routes(limited)
    assert ("POST", "/slack/events") in routes and ("POST", "/v1/advice") in routes
    assert ("POST", "/v1/datasets") in routes and len(routes) >= 10


def test_a_declared_oversize_body_is_refused_before_the_route_runs(limited: TestClient) -> None:
    json_body = b'{"task": "' + b"x" * MAX_BODY + b'"}'
    upload = _multipart(MAX_UPLOAD_MB * 1024 * 1024)
    for method, path in _routes(limited):
        answer = limited.request(method, _url(path), content=json_body, headers={"content-type": "application/json"})
        _assert_413(answer, (method, path))
        form = f"multipart/form-data; boundary={BOUNDARY}"
        _assert_413(limited.request(method, _url(path), content=upload, headers={"content-type": form}), (method, path))


def test_a_streamed_oversize_body_is_refused_while_it_is_read(limited: TestClient) -> None:
    """No Content-Length (chunked): the limit applies to the bytes as they arrive."""
    checked = 0
    for (method, path), media_types in _routes(limited).items():
        if not media_types:
            continue  # the route reads no body, so nothing arrives to count
        if any(m.startswith("multipart/") for m in media_types):
            body, content_type = _multipart(MAX_UPLOAD_MB * 1024 * 1024), f"multipart/form-data; boundary={BOUNDARY}"
        else:
            body, content_type = b'{"task": "' + b"x" * MAX_BODY + b'"}', "application/json"
        chunks = iter([body[i : i + 1024] for i in range(0, len(body), 1024)])
        answer = limited.request(method, _url(path), content=chunks, headers={"content-type": content_type})
        assert "content-length" not in answer.request.headers
        _assert_413(answer, (method, path))
        checked += 1
    assert checked >= 10
