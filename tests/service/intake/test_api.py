"""POST /v1/intake over HTTP on the real app: drafts, problem+json errors, and the hand-off to the questionnaire."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app

ISSUE_EXAMPLE = "we have about 2,000 labelled tickets, the docs change every week, output must be JSON"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    # Keys left out on purpose: an OPENAI_API_KEY in the environment must not turn these into LLM calls.
    settings = Settings(data_dir=tmp_path / "data", intake_provider="rules", openai_api_key=None, anthropic_api_key=None)
    app = create_app(settings)
    with TestClient(app) as client:
        yield client
    app.state.database.dispose()


def test_issue_example(api: TestClient) -> None:
    response = api.post("/v1/intake", json={"text": ISSUE_EXAMPLE})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["lang"] == "en" and body["source"] == "rules"
    assert body["profile"]["examples"] == 2000
    assert body["profile"]["knowledge_change"] == "weekly"
    assert body["profile"]["needs_external_knowledge"] is True
    assert body["profile"]["strict_format"] is True
    for evidence in body["evidence"]:
        assert ISSUE_EXAMPLE[evidence["start"] : evidence["end"]] == evidence["text"]
    assert "prompting_status" in body["missing"]


def test_hebrew_is_detected_and_offsets_index_the_text(api: TestClient) -> None:
    text = "יש לנו כ-2,000 פניות מתויגות, המסמכים משתנים כל שבוע, והפלט חייב להיות JSON"
    body = api.post("/v1/intake", json={"text": text, "lang": None}).json()
    assert body["lang"] == "he"
    assert body["profile"]["examples"] == 2000
    words = {e["field"]: e["text"] for e in body["evidence"]}
    assert words["examples"] == "כ-2,000 פניות מתויגות"
    for evidence in body["evidence"]:
        assert text[evidence["start"] : evidence["end"]] == evidence["text"]


def test_stated_language_wins(api: TestClient) -> None:
    assert api.post("/v1/intake", json={"text": ISSUE_EXAMPLE, "lang": "he"}).json()["lang"] == "he"


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_empty_text(api: TestClient, text: str) -> None:
    response = api.post("/v1/intake", json={"text": text})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "empty_text" and body["field"] == "text"


def test_text_over_the_limit(api: TestClient) -> None:
    assert api.post("/v1/intake", json={"text": "a" * 5000}).status_code == 200
    response = api.post("/v1/intake", json={"text": "a" * 5001})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "text_too_long" and body["field"] == "text"
    assert "5001" in body["detail"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [({"text": "hello there", "lang": "fr"}, "lang"), ({"lang": "en"}, "text"), ({"text": 42}, "text")],
)
def test_invalid_bodies(api: TestClient, payload: dict[str, object], field: str) -> None:
    response = api.post("/v1/intake", json=payload)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_error" and body["field"] == field


def test_unknown_keys_are_rejected(api: TestClient) -> None:
    response = api.post("/v1/intake", json={"text": ISSUE_EXAMPLE, "provider": "openai"})
    assert response.status_code == 422


def test_requested_provider_without_a_key_notes_the_fallback(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", intake_provider="openai", openai_api_key=None)
    app = create_app(settings)
    with TestClient(app) as client:
        body = client.post("/v1/intake", json={"text": ISSUE_EXAMPLE}).json()
    app.state.database.dispose()
    assert body["source"] == "rules"
    assert any("OPENAI_API_KEY is not set" in note for note in body["notes"])


def test_the_draft_prefills_a_questionnaire_session(api: TestClient) -> None:
    draft = api.post("/v1/intake", json={"text": ISSUE_EXAMPLE}).json()
    response = api.post("/v1/questionnaire/sessions", json={"lang": draft["lang"], "answers": draft["profile"]})
    assert response.status_code == 201, response.text
    session = response.json()
    assert session["answers"]["examples"] == 2000
    assert session["question"] is None or session["question"]["id"] not in draft["profile"]
