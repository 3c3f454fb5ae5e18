"""POST /v1/advice answers byte for byte what it answered before the cold-path work (ADR 0018), and stores the same.

``data/advice_responses.jsonl.gz`` was recorded with the code before that work (commit b1d5c8d): for each request,
the status, the content type, the response body and the stored advice as GET /v1/advice/{id} returns it, with the
advice id and creation time (new on every request) replaced by placeholders. Bare profiles, wrapped ones in both
languages, profiles nobody sent before, artifacts, and refused bodies (the problem+json bytes) are all compared.

Record again (only when a verdict is meant to change, and say why in the commit):
``PYTHONPATH=. .venv/bin/python -m tests.service.advice.test_response_bytes``
"""

from __future__ import annotations

import gzip
import json
import re
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from tests.conftest import TODAY, load_scenarios

RECORDED = Path(__file__).parent / "data" / "advice_responses.jsonl.gz"
HEADERS = {"X-Request-ID": "recorded"}
_STAMP = re.compile(rb'"created_at":"[^"]*"')


def requests() -> list[dict[str, Any]]:
    """Every request compared: {"json": body} or {"content": raw bytes as text}, with an optional "query"."""
    found: list[dict[str, Any]] = []
    examples = [{"input": f"ticket {i} about my invoice", "output": "billing"} for i in range(6)]
    for number, case in enumerate(load_scenarios()):
        profile = case["profile"]
        found.append({"json": profile})
        found.append({"json": profile, "query": "lang=he"})
        found.append({"json": {"profile": profile, "lang": "he"}})
        # Numbers nobody sent before in this process: the what-if search runs again (a cold decision).
        moved = {**profile, "requests_per_day": profile.get("requests_per_day", 100) + 7 + number}
        found.append({"json": moved})
        found.append({"json": {**moved, "examples": profile.get("examples", 0) + 3}})
        if number % 3 == 0:
            found.append({"json": {"profile": profile, "artifact": True, "examples": examples}})
    found += [
        {"json": {"task": "x", "surprise": 1}},
        {"json": {"task": "x", "examples": "10"}},
        {"json": {"task": "x", "provider": "cohere"}},
        {"json": {"task": ""}},
        {"json": {}},
        {"json": {"profile": {"task": "x"}, "artifact": "yes"}},
        {"json": {"profile": {"task": "x", "examples": 1.5}}},
        {"json": {"task": "x", "provider": "openai", "model": "claude-sonnet-4"}},
        {"json": {"task": "x"}, "query": "lang=fr"},
        {"content": '{"task": "x",'},
        {"content": '["task"]'},
    ]
    return found


def _normalised(body: bytes, advice_id: str | None) -> str:
    if advice_id:
        body = body.replace(advice_id.encode(), b"<id>")
    return _STAMP.sub(b'"created_at":"<created_at>"', body).decode()


def answer(client: TestClient, request: dict[str, Any]) -> dict[str, Any]:
    """What the API answers to ``request``, and what it stored, with the id and the creation time as placeholders."""
    url = "/v1/advice" + (f"?{request['query']}" if "query" in request else "")
    if "json" in request:
        response = client.post(url, json=request["json"], headers=HEADERS)
    else:
        response = client.post(url, content=request["content"], headers={**HEADERS, "content-type": "application/json"})
    advice_id = response.json().get("id") if response.status_code == 201 else None
    found = {
        "status": response.status_code,
        "content_type": response.headers["content-type"],
        "location": response.headers.get("location", "").replace(advice_id or "<none>", "<id>"),
        "body": _normalised(response.content, advice_id),
    }
    if advice_id:
        found["stored"] = _normalised(client.get(f"/v1/advice/{advice_id}", headers=HEADERS).content, advice_id)
    return found


@cache
def recorded() -> list[dict[str, Any]]:
    with gzip.open(RECORDED, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle]


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("bytes"), database_url=None), clock=lambda: TODAY)
    with TestClient(app) as client:
        found = [answer(client, request) for request in requests()]
    app.state.database.dispose()
    return found


def test_the_recording_covers_every_request() -> None:
    assert [entry["request"] for entry in recorded()] == requests()


@pytest.mark.parametrize("number", range(len(requests())))
def test_answer_is_the_recorded_bytes(answers: list[dict[str, Any]], number: int) -> None:
    expected = {key: value for key, value in recorded()[number].items() if key != "request"}
    assert answers[number] == expected


def record(data_dir: Path) -> None:
    app = create_app(Settings(data_dir=data_dir, database_url=None), clock=lambda: TODAY)
    with TestClient(app) as client, gzip.open(RECORDED, "wt", encoding="utf-8") as handle:
        for request in requests():
            handle.write(json.dumps({"request": request, **answer(client, request)}, ensure_ascii=False) + "\n")
    app.state.database.dispose()


if __name__ == "__main__":
    import tempfile

    RECORDED.parent.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        record(Path(scratch))
    print(f"recorded {len(requests())} answers in {RECORDED}", file=sys.stderr)
