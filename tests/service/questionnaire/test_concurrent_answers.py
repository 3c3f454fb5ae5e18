"""Two answers to one session at the same moment both count: the row is locked from read to write, on both backends."""

from __future__ import annotations

import contextlib
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import event

from service.questionnaire import service
from service.questionnaire.schemas import AnswerIn, SessionCreate
from tests.conftest import TODAY
from tests.service.store.scoped import migrated, unique


def test_answers_given_at_once_are_both_kept(database_url: str) -> None:
    tenant = unique("tenant")
    with migrated(database_url) as database:
        with database.session() as session:
            created = service.create_session(session, tenant, SessionCreate(answers={"task": "Answer tickets"}), lambda: TODAY)
        # Each answer pauses right after reading the session (up to 1 s, until the other has read it too): without a
        # lock both would read the same answers and the second write would drop the first answer.
        both_read = threading.Barrier(2, timeout=1.0)

        def pause_after_read(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT") and "questionnaire_sessions" in statement:
                # Broken when the other answer is waiting for the lock instead: then there is nothing to wait for.
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
