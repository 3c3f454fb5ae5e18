"""No way in asks a question an earlier answer made moot: the questionnaire API, the intake's ``missing``, the Slack modal."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from service.slack.modal import ModalContext, questionnaire_view
from service.slack.service import still_missing

# Each only matters when the answers need facts from outside the model.
MOOT_WITHOUT_OUTSIDE_FACTS = ("knowledge_size", "knowledge_change", "live_data")
NO_OUTSIDE_FACTS = {
    "en": "Classify support emails by team. It doesn't need outside facts: everything is in the email.",
    "he": "לסווג מיילים של תמיכה לפי צוות. אין צורך במידע חיצוני: הכל נמצא בהודעה.",
}


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(data_dir=tmp_path / "data", intake_provider="rules", openai_api_key=None, anthropic_api_key=None)
    app = create_app(settings)
    with TestClient(app) as client:
        yield client
    app.state.database.dispose()


def _asked_until_done(api: TestClient, first: dict[str, Any], answer: dict[str, Any]) -> list[str]:
    """Answer every question a session asks (``answer`` per id, else the question's first choice or 1); the ids asked."""
    session = api.post("/v1/questionnaire/sessions", json={"lang": "en", "answers": first}).json()
    asked = []
    while session["status"] == "asking":
        question = session["question"]
        asked.append(question["id"])
        value = answer.get(question["id"])
        if value is None:
            value = question["choices"][0]["value"] if question.get("choices") else 1 if question["type"] == "number" else "x"
        response = api.post(
            f"/v1/questionnaire/sessions/{session['id']}/answers", json={"question_id": question["id"], "value": value}
        )
        assert response.status_code == 200, response.text
        session = response.json()
        assert len(asked) < 30
    return asked


def test_after_no_outside_facts_the_questionnaire_never_asks_how_often_they_change(api: TestClient) -> None:
    asked = _asked_until_done(api, {"task": "Classify emails"}, {"needs_external_knowledge": False})
    assert "needs_external_knowledge" in asked
    assert not set(MOOT_WITHOUT_OUTSIDE_FACTS) & set(asked), asked
    # With outside facts the same questions are asked: the early stop is what skips them, not a missing question.
    with_facts = _asked_until_done(api, {"task": "Answer from our wiki"}, {"needs_external_knowledge": True})
    assert "knowledge_change" in with_facts or "knowledge_size" in with_facts, with_facts


@pytest.mark.parametrize("lang", ["en", "he"])
def test_the_intake_leaves_out_questions_its_answers_made_moot(api: TestClient, lang: str) -> None:
    body = api.post("/v1/intake", json={"text": NO_OUTSIDE_FACTS[lang]}).json()
    assert body["profile"]["needs_external_knowledge"] is False
    assert not set(MOOT_WITHOUT_OUTSIDE_FACTS) & set(body["missing"])
    # The draft prefills a session that asks exactly what the intake said was missing, first question first.
    session = api.post("/v1/questionnaire/sessions", json={"lang": lang, "answers": body["profile"]}).json()
    if body["missing"]:
        assert session["question"]["id"] == body["missing"][0]
    else:
        assert session["status"] == "done"


def test_the_slack_modal_asks_only_what_is_still_open() -> None:
    lang, missing = still_missing(NO_OUTSIDE_FACTS["en"])
    view = questionnaire_view(missing, ModalContext("advice-1", "C1", "1.0", lang))
    asked = [block["block_id"] for block in view["blocks"] if block["type"] == "input"]
    assert asked == missing
    assert not set(MOOT_WITHOUT_OUTSIDE_FACTS) & set(asked)
    assert "needs_external_knowledge" not in asked  # answered by the text
