"""/v1/questionnaire over HTTP: walks, edits, errors, tenancy, and sessions that outlive the app."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from knowledge.loader import default_catalog
from rules.engine import decide
from rules.facts import Profile
from service.config import Settings
from service.main import create_app
from service.store.models import QuestionnaireSessionRow
from tests.conftest import TODAY, load_scenarios

PROBLEM = "application/problem+json"
SESSIONS = "/v1/questionnaire/sessions"


def start(client: TestClient, **body: Any) -> dict[str, Any]:
    response = client.post(SESSIONS, json=body)
    assert response.status_code == 201, response.text
    assert response.headers["location"] == f"{SESSIONS}/{response.json()['id']}"
    return dict(response.json())


def send(client: TestClient, session_id: str, question_id: str, value: Any) -> dict[str, Any]:
    response = client.post(f"{SESSIONS}/{session_id}/answers", json={"question_id": question_id, "value": value})
    assert response.status_code == 200, response.text
    return dict(response.json())


def answer_all(client: TestClient, body: dict[str, Any], profile: dict[str, Any]) -> dict[str, Any]:
    """Answer whatever is asked from ``profile`` (its defaults where it is silent) until done."""
    for _ in range(len(Profile.model_fields) + 1):
        if body["status"] == "done":
            return body
        asked = body["question"]["id"]
        body = send(client, body["id"], asked, profile.get(asked, Profile.model_fields[asked].default))
    raise AssertionError("the questionnaire did not finish")


@pytest.mark.parametrize("case", load_scenarios(), ids=lambda c: c["id"])
def test_scenario_walk_reaches_the_full_profiles_verdict(client: TestClient, case: dict[str, Any]) -> None:
    body = start(client, lang="en")
    assert body["question"]["id"] == "task" and body["status"] == "asking" and body["advice"] is None
    body = answer_all(client, body, case["profile"])
    full = decide(Profile.model_validate(case["profile"]), default_catalog(), today=TODAY)
    assert body["advice"]["strategy"] == case["expect"]["strategy"] == full.strategy
    assert body["question"] is None and body["progress"]["remaining_at_most"] == 0
    assert body["asked"] == list(body["answers"]) and len(body["asked"]) < len(Profile.model_fields)
    stored = client.get(f"/v1/advice/{body['advice']['id']}").json()
    assert stored == body["advice"]
    assert stored["profile"] == {**Profile.model_validate({"task": "-"}).model_dump(mode="json"), **body["answers"]}


def test_no_examples_means_no_quality_question(client: TestClient) -> None:
    body = start(client, lang="en", answers={"task": "Summarise calls", "needs_external_knowledge": False})
    # No outside facts: how often they change is moot, so it is never asked.
    assert body["question"]["id"] not in ("knowledge_size", "knowledge_change")
    profile = {"prompting_status": "insufficient", "examples": 0, "example_quality": "high", "custom_style": True}
    body = answer_all(client, body, profile)
    assert "examples" in body["asked"] and "example_quality" not in body["asked"]
    assert "knowledge_change" not in body["asked"] and "knowledge_size" not in body["asked"]
    assert body["advice"]["strategy"] == "prompting"


def test_a_tuning_verdict_asks_the_numbers_its_economics_depend_on(client: TestClient) -> None:
    profile = {"task": "Label tickets", "examples": 800, "example_quality": "high", "narrow_task": True}
    profile |= {"prompting_status": "insufficient", "provider": "openai", "requests_per_day": 20000}
    done = answer_all(client, start(client, lang="en"), profile)
    assert done["advice"]["strategy"] == "fine_tuning"
    # Where to tune depends on the provider; traffic scales the monthly cost: both asked, not assumed.
    assert {"provider", "requests_per_day"} <= set(done["asked"])
    assert "requests_per_day" not in {a["field"] for a in done["advice"]["assumptions"]}


def test_editing_an_earlier_answer_changes_the_verdict(client: TestClient) -> None:
    profile = {"task": "Label tickets", "examples": 800, "example_quality": "high", "narrow_task": True}
    profile |= {"prompting_status": "insufficient", "provider": "google"}
    done = answer_all(client, start(client, lang="en"), profile)
    assert done["advice"]["strategy"] == "fine_tuning"
    # Still decided after the edit: a new advice for the new answers at once.
    sized = send(client, done["id"], "knowledge_size", "large")  # moot without outside facts: the advice stands
    assert sized["status"] == "done"
    edited = send(client, done["id"], "needs_external_knowledge", True)
    assert edited["status"] == "done" and edited["advice"]["strategy"] == "rag_and_fine_tuning"
    assert edited["advice"]["id"] != done["advice"]["id"]
    # An edit that leaves the strategy open asks again, and the old advice is no longer the session's.
    reopened = send(client, done["id"], "prompting_status", "works")
    assert reopened["status"] == "asking" and reopened["advice"] is None
    assert reopened["question"]["id"] in Profile.model_fields and reopened["question"]["id"] not in reopened["answers"]
    expected = {**profile, "prompting_status": "works", "needs_external_knowledge": True, "knowledge_size": "large"}
    finished = answer_all(client, reopened, expected)
    assert finished["advice"]["strategy"] == decide(Profile.model_validate(expected), default_catalog(), today=TODAY).strategy
    assert client.get(f"{SESSIONS}/{done['id']}").json() == finished


def test_the_same_answer_again_keeps_the_advice(client: TestClient) -> None:
    done = answer_all(client, start(client, lang="en"), {"task": "Q&A on manuals", "needs_external_knowledge": True})
    again = send(client, done["id"], "needs_external_knowledge", True)
    assert again["advice"]["id"] == done["advice"]["id"]


def test_hebrew_session_and_optional_model(client: TestClient) -> None:
    body = start(client, lang="he", answers={"task": "תיוג פניות", "examples": 1000, "example_quality": "high"})
    assert body["lang"] == "he" and any("\u0590" <= ch <= "\u05ff" for ch in body["question"]["text"])
    body = send(client, body["id"], "model", None)
    assert body["answers"]["model"] is None and body["status"] == "asking"


@pytest.mark.parametrize(
    ("question_id", "value", "code"),
    [("examples", -5, "invalid_answer"), ("provider", "azure", "invalid_answer"), ("custom_style", "yes", "invalid_answer")],
)
def test_invalid_answer_is_422_naming_the_question(client: TestClient, question_id: str, value: Any, code: str) -> None:
    body = start(client, lang="en")
    response = client.post(f"{SESSIONS}/{body['id']}/answers", json={"question_id": question_id, "value": value})
    assert response.status_code == 422 and response.headers["content-type"] == PROBLEM
    assert response.json()["code"] == code and response.json()["field"] == question_id
    # Nothing was stored.
    assert client.get(f"{SESSIONS}/{body['id']}").json()["answers"] == {}


def test_unknown_question_and_bad_prefill(client: TestClient) -> None:
    body = start(client, lang="en")
    response = client.post(f"{SESSIONS}/{body['id']}/answers", json={"question_id": "colour", "value": "red"})
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (422, "unknown_question", "colour")
    response = client.post(SESSIONS, json={"lang": "en", "answers": {"task": "x", "examples": "many"}})
    assert (response.status_code, response.json()["code"], response.json()["field"]) == (422, "invalid_answer", "examples")
    response = client.post(SESSIONS, json={"lang": "fr"})
    assert response.status_code == 422 and response.json()["field"] == "lang"


def test_unknown_and_foreign_sessions_are_404(client: TestClient) -> None:
    for path in (f"{SESSIONS}/no-such-session", f"{SESSIONS}/no-such-session/answers"):
        response = client.get(path) if path.endswith("session") else client.post(path, json={"question_id": "task", "value": "x"})
        assert response.status_code == 404 and response.json()["code"] == "session_not_found"
    body = start(client, lang="en", answers={"task": "Label tickets"})
    database = client.app.state.database  # type: ignore[attr-defined]
    with database.session() as session:
        session.execute(
            update(QuestionnaireSessionRow).where(QuestionnaireSessionRow.id == body["id"]).values(tenant_id="someone-else")
        )
        session.commit()
    response = client.get(f"{SESSIONS}/{body['id']}")
    assert response.status_code == 404 and response.json()["code"] == "session_not_found"
    response = client.post(f"{SESSIONS}/{body['id']}/answers", json={"question_id": "examples", "value": 3})
    assert response.status_code == 404


def test_sessions_survive_a_restart(database_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=database_url)
    profile = {"task": "Answer HR questions from our handbook", "needs_external_knowledge": True, "custom_style": True}
    profile |= {"examples": 2000, "example_quality": "high", "prompting_status": "insufficient", "provider": "google"}
    first = create_app(settings, clock=lambda: TODAY)
    with TestClient(first) as client:
        body = start(client, lang="he", answers={"task": profile["task"]})
        body = send(client, body["id"], body["question"]["id"], profile[body["question"]["id"]])
        before = client.get(f"{SESSIONS}/{body['id']}").json()
    first.state.database.dispose()

    second = create_app(settings, clock=lambda: TODAY)
    with TestClient(second) as client:
        resumed = client.get(f"{SESSIONS}/{body['id']}").json()
        assert resumed == before and resumed["status"] == "asking" and resumed["lang"] == "he"
        done = answer_all(client, resumed, profile)
        assert done["advice"]["strategy"] == "rag_and_fine_tuning"
        assert client.get(f"/v1/advice/{done['advice']['id']}").status_code == 200
    second.state.database.dispose()


def test_the_verdict_follows_todays_catalog(tmp_path: Path) -> None:
    """OpenAI stops new tuning jobs on 2027-01-06: before, the days left are flagged; after, it cannot tune at all."""
    settings = Settings(data_dir=tmp_path / "data", database_url=None)
    profile = {"task": "Label tickets", "examples": 800, "example_quality": "high", "narrow_task": True}
    profile |= {"prompting_status": "insufficient", "provider": "openai"}
    for day, flag in ((TODAY, "provider_fine_tuning_ending"), (dt.date(2027, 2, 1), "provider_cannot_fine_tune")):
        app = create_app(settings, clock=lambda day=day: day)
        with TestClient(app) as client:
            done = answer_all(client, start(client, lang="en"), profile)
            assert done["advice"]["strategy"] == "fine_tuning"
            assert flag in {f["code"] for f in done["advice"]["flags"]}
            assert done["advice"]["tuning"]["provider"] == "google"
        app.state.database.dispose()


def test_a_session_gives_the_same_bytes_on_the_lean_path_and_on_fastapis(client: TestClient, solved: list[str]) -> None:
    """A plain start or answer skips FastAPI's dependency solving and response model (service/api/lean.py); a charset
    in the content type takes FastAPI's handler. Two sessions answered alike, one each way, give the same bytes once their
    ids and timestamps are set aside: numbers, Hebrew text, key order and the stored advice are written alike."""
    profile = {"task": "תיוג פניות", "examples": 800, "example_quality": "high", "narrow_task": True}
    profile |= {"prompting_status": "insufficient", "provider": "openai", "requests_per_day": 4321}
    walks = []
    for content_type in ("application/json", "application/json; charset=utf-8"):
        created = client.post(SESSIONS, content=b'{"lang": "he"}', headers={"content-type": content_type})
        assert created.status_code == 201 and created.headers["location"] == f"{SESSIONS}/{created.json()['id']}"
        body = created.json()
        answers = [created.content]
        for _ in range(len(Profile.model_fields) + 1):
            if body["status"] == "done":
                break
            asked = body["question"]["id"]
            value = profile.get(asked, Profile.model_fields[asked].default)
            payload = json.dumps({"question_id": asked, "value": value}, ensure_ascii=False).encode()
            url = f"{SESSIONS}/{body['id']}/answers"
            response = client.post(url, content=payload, headers={"content-type": content_type})
            assert response.status_code == 200, response.text
            answers.append(response.content)
            body = response.json()
        assert body["status"] == "done" and body["advice"] is not None
        walks.append((body, answers))
    (lean, lean_bytes), (full, full_bytes) = walks
    assert solved == [SESSIONS] + [f"{SESSIONS}/{full['id']}/answers"] * (len(full_bytes) - 1)  # the charset walk only

    def neutral(raw: bytes) -> bytes:
        body = json.loads(raw)
        stored = body["advice"] or {}
        for value in (body["id"], body["created_at"], body["updated_at"], stored.get("id"), stored.get("created_at")):
            raw = raw.replace(value.encode(), b"<>") if value else raw
        return raw

    assert len(lean_bytes) == len(full_bytes) > 2
    assert [neutral(raw) for raw in lean_bytes] == [neutral(raw) for raw in full_bytes]
    assert lean["advice"]["economics"] is not None  # numbers of every kind are in the compared bytes
