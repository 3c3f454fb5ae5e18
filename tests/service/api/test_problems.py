"""Errors a client can act on: where the JSON breaks, a hint when the body was not sent as JSON, and a request id on all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app

JSON = {"content-type": "application/json"}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    app = create_app(Settings(data_dir=tmp_path / "data", intake_provider="rules", max_body_bytes=4096, max_upload_mb=1))
    with TestClient(app) as client:
        yield client
    app.state.database.dispose()


@pytest.mark.parametrize(
    ("body", "line", "column"),
    [
        ('{"task": "x",\n "examples": 10,,\n}', 2, 17),
        ('{"task": "שלום עולם" "examples": 3}', 1, 22),  # columns count characters, not UTF-8 bytes
        ("{\n\n  task: 1}", 3, 3),
    ],
)
def test_invalid_json_names_line_and_column(api: TestClient, body: str, line: int, column: int) -> None:
    response = api.post("/v1/advice", content=body.encode(), headers=JSON)
    assert response.status_code == 400
    problem = response.json()
    assert problem["code"] == "invalid_json"
    assert problem["field"] == "body"
    assert problem["line"] == line
    assert f"line {line}, column {column}" in problem["detail"]
    assert problem["errors"] == [
        {"field": "body", "message": problem["errors"][0]["message"], "type": "json_invalid", "line": line, "column": column}
    ]
    assert problem["request_id"] == response.headers["x-request-id"]


@pytest.mark.parametrize("content_type", [None, "application/x-www-form-urlencoded", "text/plain"])
def test_a_body_not_sent_as_json_says_which_header_to_send(api: TestClient, content_type: str | None) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = api.post("/v1/intake", content=b'{"text": "We classify tickets."}', headers=headers)
    assert response.status_code == 415
    problem = response.json()
    assert problem["code"] == "unsupported_media_type"
    # The header is what is wrong, not the body, and the detail names what came and what to send.
    assert problem["field"] == "content-type"
    assert "-H 'content-type: application/json'" in problem["detail"]
    assert (content_type or "names no Content-Type") in problem["detail"]
    assert problem["request_id"] == response.headers["x-request-id"]
    # The same body with the header goes through.
    assert api.post("/v1/intake", content=b'{"text": "We classify tickets."}', headers=JSON).status_code == 200


def test_a_json_body_with_a_wrong_field_gets_no_header_hint(api: TestClient) -> None:
    problem = api.post("/v1/advice", json={"task": "x", "examples": "many"}).json()
    assert problem["field"] == "examples"
    assert "Content-Type" not in problem["detail"]


def test_an_upload_missing_its_file_gets_no_json_hint(api: TestClient) -> None:
    response = api.post("/v1/datasets", data={"provider": "openai"}, files={"other": ("a.txt", b"x")})
    assert response.status_code == 422
    assert "Content-Type" not in response.json()["detail"]


def test_too_large_bodies_carry_the_request_id_however_they_arrive(api: TestClient) -> None:
    declared = api.post("/v1/advice", content=b"x" * 5000, headers=JSON)

    def chunks() -> Iterator[bytes]:
        for _ in range(5):
            yield b"x" * 1000

    streamed = api.post("/v1/advice", content=chunks(), headers=JSON)  # no Content-Length: counted as it arrives
    upload = api.post("/v1/datasets", files={"file": ("train.jsonl", b"x" * (1024 * 1024 + 10))}, data={"provider": "openai"})
    for response in (declared, streamed, upload):
        assert response.status_code == 413, response.text
        problem = response.json()
        assert problem["code"] == "payload_too_large"
        assert problem["request_id"] == response.headers["x-request-id"]
