"""Every response carries X-Request-ID: generated, or the client's own when it is a sane token."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.conftest import load_scenarios

GENERATED = re.compile(r"[0-9a-f]{32}")


def test_generated_when_absent_and_unique(probed: TestClient) -> None:
    profile = load_scenarios()[0]["profile"]
    first = probed.post("/v1/advice", json=profile)
    second = probed.post("/v1/advice", json=profile)
    assert first.status_code == second.status_code == 201
    ids = [first.headers["x-request-id"], second.headers["x-request-id"]]
    assert all(GENERATED.fullmatch(i) for i in ids)
    assert ids[0] != ids[1]


@pytest.mark.parametrize("supplied", ["abc-123", "trace.4f2e_9", "A" * 128])
def test_sane_id_is_echoed(probed: TestClient, supplied: str) -> None:
    response = probed.get("/healthz", headers={"X-Request-ID": supplied})
    assert response.headers["x-request-id"] == supplied


@pytest.mark.parametrize("supplied", ["A" * 129, "has space", "semi;colon", "ünï", "", "a/b", "<script>"])
def test_insane_id_is_replaced(probed: TestClient, supplied: str) -> None:
    response = probed.get("/healthz", headers={"X-Request-ID": supplied.encode("utf-8")})
    assert response.status_code == 200
    assert GENERATED.fullmatch(response.headers["x-request-id"])


def test_errors_carry_the_id_in_header_and_body(probed: TestClient) -> None:
    cases = [
        probed.get("/v1/advice/no-such-id", headers={"X-Request-ID": "rid-404"}),
        probed.post("/v1/advice", json={"task": "x", "examples": "ten"}, headers={"X-Request-ID": "rid-422"}),
        probed.post("/v1/advice", content=b"{", headers={"content-type": "application/json", "X-Request-ID": "rid-400"}),
        probed.get("/no/such/route", headers={"X-Request-ID": "rid-unrouted"}),
        probed.get("/_probe/fail/x", headers={"X-Request-ID": "rid-500"}),
    ]
    assert [r.status_code for r in cases] == [404, 422, 400, 404, 500]
    for response in cases:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["request_id"] == response.headers["x-request-id"]
    assert [r.headers["x-request-id"] for r in cases] == ["rid-404", "rid-422", "rid-400", "rid-unrouted", "rid-500"]


def test_body_limit_rejections_carry_the_id(probed: TestClient) -> None:
    # The 413 comes from the BodyLimit middleware, before any route or handler runs.
    response = probed.post(
        "/v1/advice",
        content=b"x" * (1024 * 1024 + 1),
        headers={"content-type": "application/json", "X-Request-ID": "big-body"},
    )
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert response.headers["x-request-id"] == response.json()["request_id"] == "big-body"


def test_an_unhandled_error_gets_a_generated_id_in_header_and_body(probed: TestClient) -> None:
    # Starlette's ServerErrorMiddleware sends this 500 outside every middleware of ours.
    first, second = probed.get("/_probe/fail/1"), probed.get("/_probe/fail/2")
    assert first.status_code == second.status_code == 500
    for response in (first, second):
        assert response.json()["code"] == "internal_error"
        assert GENERATED.fullmatch(response.headers["x-request-id"])
        assert response.json()["request_id"] == response.headers["x-request-id"]
        assert response.headers.get_list("x-request-id") == [response.headers["x-request-id"]]  # once, not twice
    assert first.headers["x-request-id"] != second.headers["x-request-id"]
