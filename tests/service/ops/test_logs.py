"""One JSON line per request with the request id, and every other log record in the same shape."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from tests.conftest import load_scenarios
from tests.service.ops.conftest import build


def json_lines(err: str) -> list[dict[str, Any]]:
    """Every stderr line must be a JSON object: nothing else may write there in json mode."""
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def access_lines(err: str) -> list[dict[str, Any]]:
    return [line for line in json_lines(err) if line["logger"] == "service.access"]


def test_request_line_is_json_with_the_response_request_id(probed: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    response = probed.post("/v1/advice", json=load_scenarios()[5]["profile"])
    assert response.status_code == 201
    advice_id = response.json()["id"]
    assert probed.get(f"/v1/advice/{advice_id}").status_code == 200
    created, fetched = access_lines(capsys.readouterr().err)
    assert created["request_id"] == response.headers["x-request-id"]
    assert created["level"] == "INFO" and created["ts"].endswith("Z")
    assert {k: created[k] for k in ("method", "route", "status", "tenant")} == {
        "method": "POST",
        "route": "/v1/advice",
        "status": 201,
        "tenant": "default",
    }
    assert isinstance(created["duration_ms"], float) and created["duration_ms"] > 0
    # The route template, not the path with the id in it.
    assert fetched["route"] == "/v1/advice/{advice_id}"
    assert advice_id not in json.dumps(fetched)


def test_supplied_id_is_logged_and_unrouted_requests_say_so(probed: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    assert probed.get("/nowhere/123", headers={"X-Request-ID": "from-the-client"}).status_code == 404
    (line,) = access_lines(capsys.readouterr().err)
    assert line["request_id"] == "from-the-client"
    assert (line["route"], line["status"]) == ("unmatched", 404)


def test_library_records_inside_a_request_carry_its_id(probed: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    # A sync route runs in a worker thread: the id must follow it there.
    response = probed.get("/_probe/log")
    lines = json_lines(capsys.readouterr().err)
    (library,) = [line for line in lines if line["logger"] == "somelibrary.client"]
    assert library["msg"] == "probe reached"
    assert library["request_id"] == response.headers["x-request-id"]


def test_unhandled_error_logs_traceback_and_access_line_with_one_id(
    probed: TestClient, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    response = probed.get("/_probe/fail/7")
    assert response.status_code == 500
    lines = json_lines(capsys.readouterr().err)
    error = next(line for line in lines if line["logger"] == "service.errors")
    assert error["level"] == "ERROR" and "RuntimeError: probe failure" in error["exc"]
    access = next(line for line in lines if line["logger"] == "service.access")
    assert (access["route"], access["status"]) == ("/_probe/fail/{kind}", 500)
    assert error["request_id"] == access["request_id"] == response.headers["x-request-id"]


def test_no_bodies_headers_or_secrets_in_logs(probed: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    profile = {**load_scenarios()[0]["profile"], "task": "marker-in-the-body-8c1f"}
    probed.post(
        "/v1/advice",
        json=profile,
        headers={"Authorization": "Bearer tok-header-secret-55aa", "X-Api-Key": "key-header-secret-77bb", "Cookie": "c=crumb"},
    )
    err = capsys.readouterr().err
    for secret in ("marker-in-the-body-8c1f", "tok-header-secret-55aa", "key-header-secret-77bb", "crumb"):
        assert secret not in err
    assert access_lines(err)


def test_secret_shapes_are_redacted_from_any_logger(probed: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    logging.getLogger("httpx").warning("retrying with Authorization: Bearer abcdEFGH12345678 and key sk-proj-abcdefgh12345")
    (line,) = json_lines(capsys.readouterr().err)
    assert "abcdEFGH12345678" not in line["msg"] and "sk-proj-abcdefgh12345" not in line["msg"]
    assert line["msg"].count("[redacted]") == 2
    assert "request_id" not in line  # outside a request there is none


def test_text_format_keeps_the_request_id(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    clients = build(Settings(data_dir=tmp_path / "data", log_format="text"))
    client = next(clients)
    try:
        capsys.readouterr()
        response = client.get("/healthz")
        err = capsys.readouterr().err
    finally:
        next(clients, None)
    (line,) = [line for line in err.splitlines() if "GET /healthz" in line]
    assert "GET /healthz 200" in line
    assert line.endswith(f"request_id={response.headers['x-request-id']}")
    with pytest.raises(json.JSONDecodeError):
        json.loads(line)


def test_one_handler_however_many_apps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    apps = [build(Settings(data_dir=tmp_path / f"d{i}")) for i in range(3)]
    clients = [next(app) for app in apps]
    try:
        capsys.readouterr()
        clients[0].get("/healthz")
        assert len(access_lines(capsys.readouterr().err)) == 1
    finally:
        for app in apps:
            next(app, None)


def test_answers_the_edge_gives_name_the_matched_route(probed: TestClient, capsys: pytest.CaptureFixture[str]) -> None:
    # Before: a 415, 400 or unknown-parameter 422 answered before the router ran was logged as route "unmatched".
    capsys.readouterr()
    assert probed.post("/v1/advice", content=b"task=x", headers={"content-type": "text/plain"}).status_code == 415
    assert probed.post("/v1/advice", content=b"{not json", headers={"content-type": "application/json"}).status_code == 400
    assert probed.get("/v1/advice/abc", params={"nope": "1"}).status_code == 422
    lines = access_lines(capsys.readouterr().err)
    assert [(line["route"], line["status"]) for line in lines] == [
        ("/v1/advice", 415),
        ("/v1/advice", 400),
        ("/v1/advice/{advice_id}", 422),
    ]


def test_a_json_line_holds_any_field_as_json_wrote_it() -> None:
    # orjson writes the lines (a tenth of json's time); what it cannot or would write otherwise keeps json's form.
    import dataclasses
    import datetime as dt

    from service.ops.observability import JsonFormatter

    @dataclasses.dataclass
    class Shape:
        size: int

    shown = {
        "at": "2026-12-07 18:00:00",
        "day": "2026-12-07",
        "shape": "test_a_json_line_holds_any_field_as_json_wrote_it.<locals>.Shape(size=3)",
    }
    fields = {"at": dt.datetime(2026, 12, 7, 18, 0), "day": dt.date(2026, 12, 7), "shape": Shape(3)}
    for more, wanted in (({}, {}), ({"big": 2**70}, {"big": 2**70})):  # orjson's line, then json's for what it refuses
        record = logging.getLogger("service.test").makeRecord("service.test", logging.INFO, __file__, 0, "שלום %s", ("x",), None)
        record.fields = {**fields, **more}
        line = json.loads(JsonFormatter().format(record))
        assert line["msg"] == "שלום x"
        assert {name: line[name] for name in record.fields} == {**shown, **wanted}
