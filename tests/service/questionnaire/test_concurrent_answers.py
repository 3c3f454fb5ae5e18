"""Two answers to one session at the same moment both count, on both backends: each is written only if the session is
still as it read it, else worked out again; and no write lock is held while an answer is worked out."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, select

from rules.facts import Profile
from rules.reachability import open_questions
from service.advice.service import prepare
from service.errors import Conflict
from service.questionnaire import service
from service.questionnaire.repository import QuestionnaireRepository
from service.questionnaire.schemas import AnswerIn, SessionCreate, SessionOut
from service.store.models import AdviceRow
from tests.conftest import TODAY
from tests.service.store.scoped import migrated, unique


def test_answers_given_at_once_are_both_kept(database_url: str) -> None:
    tenant = unique("tenant")
    with migrated(database_url) as database:
        with database.session() as session:
            created = service.create_session(session, tenant, SessionCreate(answers={"task": "Answer tickets"}), lambda: TODAY)
        # Each answer pauses right after reading the session (up to 1 s, until the other has read it too): both read the
        # same answers, and without the compare-and-set the second write would drop the first answer.
        both_read = threading.Barrier(2, timeout=1.0)

        def pause_after_read(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "questionnaire_sessions" in statement:
                # Broken once an answer reads again after losing the race: then there is nothing to wait for.
                with contextlib.suppress(threading.BrokenBarrierError):
                    both_read.wait()

        event.listen(database.engine, "after_cursor_execute", pause_after_read)

        def answer(question: str) -> None:
            with database.session() as session:
                service.answer(session, tenant, created.id, AnswerIn(question_id=question, value=True), lambda: TODAY)

        with ThreadPoolExecutor(2) as pool:
            list(pool.map(answer, ["needs_external_knowledge", "strict_format"]))
        event.remove(database.engine, "after_cursor_execute", pause_after_read)
        with database.session() as session:
            stored = service.get_session(session, tenant, created.id, lambda: TODAY)
    assert stored.answers.get("needs_external_knowledge") is True, "one of two concurrent answers was lost"
    assert stored.answers.get("strict_format") is True, "one of two concurrent answers was lost"


def _walk(database: Any, tenant: str, profile: dict[str, Any]) -> SessionOut:
    """A session answered from ``profile`` (its defaults where it is silent) until done, through the service."""
    with database.session() as session:
        body = service.create_session(session, tenant, SessionCreate(), lambda: TODAY)
    for _ in range(len(Profile.model_fields) + 1):
        if body.status == "done":
            return body
        assert body.question is not None
        asked = body.question.id
        value = profile.get(asked, Profile.model_fields[asked].default)
        with database.session() as session:
            body = service.answer(session, tenant, body.id, AnswerIn(question_id=asked, value=value), lambda: TODAY)
    raise AssertionError("the questionnaire did not finish")


PROFILE = {"task": "Q&A on manuals", "needs_external_knowledge": True}


def test_no_write_lock_is_held_while_an_answer_is_worked_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite one write lock serves the whole database: while the rules run for an answer (and while its advice
    and artifact are built) every other writer must be free to write at once."""
    path = tmp_path / "store.db"
    blocked: list[str] = []

    def try_to_write(step: str) -> None:
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        except sqlite3.OperationalError as exc:  # "database is locked"
            blocked.append(f"{step}: {exc}")
        finally:
            other.close()

    def planned(*args: Any) -> Any:
        try_to_write("open_questions")
        return open_questions(*args)

    def prepared(*args: Any, **kwargs: Any) -> Any:
        try_to_write("advice.prepare")
        return prepare(*args, **kwargs)

    monkeypatch.setattr(service, "open_questions", planned)
    monkeypatch.setattr(service.advice, "prepare", prepared)
    with migrated(f"sqlite:///{path}") as database:
        done = _walk(database, unique("tenant"), PROFILE)
    assert done.advice is not None
    assert blocked == []


def test_a_write_that_lost_the_race_stores_nothing_and_is_redone(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The answer that finishes a session loses its compare-and-set once (another answer came first): its advice is
    not stored, the answer is worked out again, and exactly one advice is stored, the one the session names."""
    tenant = unique("tenant")
    real = QuestionnaireRepository.save_if
    lost: list[str] = []

    def first_loses(self: QuestionnaireRepository, session_id: str, values: dict[str, Any], read: Any) -> bool:
        if values["status"] == "done" and not lost:
            lost.append(values["advice_id"])
            return False
        return real(self, session_id, values, read)

    monkeypatch.setattr(QuestionnaireRepository, "save_if", first_loses)
    with migrated(database_url) as database:
        done = _walk(database, tenant, PROFILE)
        with database.session() as session:
            stored = session.scalars(select(AdviceRow.id).where(AdviceRow.tenant_id == tenant)).all()
    assert len(lost) == 1 and done.advice is not None
    assert stored == [done.advice.id] and lost[0] != done.advice.id


def test_an_answer_that_always_loses_is_409_and_writes_nothing(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = unique("tenant")
    monkeypatch.setattr(QuestionnaireRepository, "save_if", lambda *args: False)
    with migrated(database_url) as database:
        with database.session() as session:
            created = service.create_session(session, tenant, SessionCreate(answers={"task": "Answer tickets"}), lambda: TODAY)
        with database.session() as session, pytest.raises(Conflict) as raised:
            service.answer(session, tenant, created.id, AnswerIn(question_id="strict_format", value=True), lambda: TODAY)
        with database.session() as session:
            stored = service.get_session(session, tenant, created.id, lambda: TODAY)
    assert (raised.value.code, raised.value.status, raised.value.headers) == ("session_busy", 409, {"Retry-After": "1"})
    assert "strict_format" not in stored.answers
