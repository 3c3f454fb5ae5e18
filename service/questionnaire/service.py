"""The questionnaire use case: sessions that ask only what can still change the verdict, stored per tenant.

A session's state is derived from its answers on every change: the next question and whether it is
done come from ``rules.reachability.open_questions``. When no unanswered question can change the strategy, the session
stores an advice (decided by ``service.advice``, the same as POST /v1/advice) and is done.
Changing an answer later recomputes: the session asks again if the new answers leave the strategy
open, or stores a new advice for the new answers at once; the verdict always matches the answers.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy.orm import Session

from rules.cost_questions import cost_questions, tuning_questions
from rules.facts import Profile
from rules.reachability import Plan, open_questions
from service.advice import service as advice
from service.advice.schemas import AdviceOut, AdviceRequest
from service.advice.service import OnVerdict
from service.config import Clock
from service.errors import Conflict, NotFound
from service.questionnaire.questions import Lang, field_order, question, questions, validate_answer
from service.questionnaire.repository import QuestionnaireRepository
from service.questionnaire.schemas import AnswerIn, Progress, SchemaOut, SessionCreate, SessionOut
from service.store.models import utcnow

FIRST = "task"  # asked before anything else: the advice is stored under it
ATTEMPTS = 8  # reads of a session an answer makes while other answers to it keep coming first (then 409)
_TICK = dt.timedelta(microseconds=1)


def schema(lang: Lang) -> SchemaOut:
    return SchemaOut(lang=lang, questions=questions(lang))


@dataclass
class _State:
    """One stored session, as plain data."""

    id: str
    tenant_id: str
    lang: str
    status: str
    answers: dict[str, Any]
    asked: list[str]
    advice_id: str | None
    created_at: dt.datetime
    updated_at: dt.datetime


def _row(session: Session, tenant_id: str, session_id: str) -> _State:
    found = QuestionnaireRepository(session, tenant_id).load(session_id)
    if found is None:
        raise NotFound(
            f"No questionnaire session {session_id!r}; start one with POST /v1/questionnaire/sessions.",
            code="session_not_found",
        )
    return _State(**found)


def _written(session: Session, row: _State, read: dt.datetime, made: dict[str, Any] | None) -> bool:
    """Store the session's new state, and the advice ``made`` for it, and commit, if nobody changed the session since
    it was read (at ``read``); else roll back, nothing written, and False: the caller reads it again and redoes its
    work on what the other request wrote. The database's write lock (all of SQLite) is held for these writes only,
    not while the plan and the advice are worked out."""
    row.updated_at = max(utcnow(), read + _TICK)  # a new value, so a write that read this one fails its check
    values = {"status": row.status, "answers": row.answers, "asked": row.asked, "advice_id": row.advice_id}
    if not QuestionnaireRepository(session, row.tenant_id).save_if(row.id, {**values, "updated_at": row.updated_at}, read):
        session.rollback()
        return False
    if made is not None:
        advice.insert(session, row.tenant_id, made)
    session.commit()
    return True


def _settle(session: Session, tenant_id: str, row: _State, today: Clock) -> tuple[Plan, dict[str, Any] | None]:
    """Bring status and advice in line with the answers; returns the plan and a new advice to store with the session
    (``advice.prepare``'s row values: decided, not stored)."""
    current = open_questions(row.answers, field_order(), today())
    if not current.open and current.strategy is not None:
        # The strategy is settled; still ask where tuning would happen and the numbers the economics depend on.
        order, day = field_order(), today()
        more = tuning_questions(row.answers, order, current.strategy, day) or cost_questions(
            row.answers, order, current.strategy, day
        )
        current = Plan(open=more, strategy=None if more else current.strategy)
    if FIRST not in row.answers or current.open:
        row.status, row.advice_id = "asking", None
        return current, None
    if row.status == "done" and row.advice_id is not None:
        return current, None
    # With its artifact: what the profile alone can build (a job spec), or what to send for one (a prompt).
    lang: Lang = "he" if row.lang == "he" else "en"
    request = AdviceRequest(profile=Profile.model_validate(row.answers), artifact=True, lang=lang)
    values = advice.prepare(session, tenant_id, request, today)
    row.status, row.advice_id = "done", values["id"]
    return current, values


def _advice_out(values: dict[str, Any] | None, on_verdict: OnVerdict | None) -> AdviceOut | None:
    """After the commit: the stored advice counted, as the response shows it."""
    return None if values is None else AdviceOut.model_validate(advice.stored(values, on_verdict))


def _out(session: Session, tenant_id: str, row: _State, current: Plan | None, made: AdviceOut | None) -> SessionOut:
    # Not from_attributes: the next question, the progress and the advice come from the plan, not from columns.
    lang: Lang = "he" if row.lang == "he" else "en"
    done = row.status == "done" and row.advice_id is not None
    next_id = None if done or current is None else (FIRST if FIRST not in row.answers else current.next)
    remaining = 0 if done or current is None else len(current.open) + (FIRST not in row.answers)
    stored = made or (advice.get_advice(session, tenant_id, row.advice_id) if done and row.advice_id else None)
    return SessionOut(
        id=row.id,
        lang=lang,
        status="done" if done else "asking",
        answers=dict(row.answers),
        asked=list(row.asked),
        question=question(next_id, lang) if next_id else None,
        progress=Progress(answered=len(row.answers), remaining_at_most=remaining),
        advice=stored,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def warm_up(today: Clock) -> None:
    """Plan a session with no answers: every group's grid of values and their signatures, ~120 ms that the first
    session after a start would otherwise wait (a new session with no answers then finds its plan kept)."""
    open_questions({}, field_order(), today())


def create_session(
    session: Session, tenant_id: str, body: SessionCreate, today: Clock, on_verdict: OnVerdict | None = None
) -> SessionOut:
    """A new session, with any prefilled answers validated like answers given one by one."""
    answers = {name: validate_answer(name, value) for name, value in body.answers.items()}
    now = utcnow()
    row = _State(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        lang=body.lang,
        status="asking",
        answers=answers,
        asked=[name for name in field_order() if name in answers],
        advice_id=None,
        created_at=now,
        updated_at=now,
    )
    current, made = _settle(session, tenant_id, row, today)
    QuestionnaireRepository(session, tenant_id).insert(asdict(row))
    if made is not None:
        advice.insert(session, tenant_id, made)
    session.commit()
    return _out(session, tenant_id, row, current, _advice_out(made, on_verdict))


def get_session(
    session: Session, tenant_id: str, session_id: str, today: Clock, on_verdict: OnVerdict | None = None
) -> SessionOut:
    """Resume a session: a finished one as stored, an open one with its next question."""
    for _ in range(ATTEMPTS):
        row = _row(session, tenant_id, session_id)
        if row.status == "done" and row.advice_id is not None:
            return _out(session, tenant_id, row, None, None)
        # Still asking: the plan depends on today (a provider's tuning may have ended since).
        read = row.updated_at
        current, made = _settle(session, tenant_id, row, today)
        if made is None:
            session.rollback()  # nothing to write: end the read
            return _out(session, tenant_id, row, current, None)
        if _written(session, row, read, made):
            return _out(session, tenant_id, row, current, _advice_out(made, on_verdict))
    raise _busy(session_id)


def answer(
    session: Session, tenant_id: str, session_id: str, body: AnswerIn, today: Clock, on_verdict: OnVerdict | None = None
) -> SessionOut:
    """Record one answer (or change an earlier one) and move the session on.

    Optimistic: the session is read without a lock, the answer applied and the plan (and any advice) worked out, then
    written only if the session is still as read (``_written``); if another answer came first, all of it again on
    what that one wrote. So two answers at once both count, one after the other, as with a lock held from read to
    write, but SQLite's single write lock is no longer held while the rules run (up to ~17 ms when the last answer
    builds the advice and its artifact), which every other write of the service waited behind."""
    for _ in range(ATTEMPTS):
        row = _row(session, tenant_id, session_id)
        value: Any = validate_answer(body.question_id, body.value)
        read, before = row.updated_at, (row.status, row.answers, row.asked, row.advice_id)
        if body.question_id not in row.answers or row.answers[body.question_id] != value:
            row.answers = {**row.answers, body.question_id: value}
            if body.question_id not in row.asked:
                row.asked = [*row.asked, body.question_id]
            # A stored advice belongs to the old answers; _settle stores a new one or asks again.
            row.status, row.advice_id = "asking", None
        if row.status == "done" and row.advice_id is not None:
            return _out(session, tenant_id, row, None, None)
        current, made = _settle(session, tenant_id, row, today)
        if (row.status, row.answers, row.asked, row.advice_id) == before:
            session.rollback()  # the same answer again, and nothing else moved: nothing to write
            return _out(session, tenant_id, row, current, None)
        if _written(session, row, read, made):
            return _out(session, tenant_id, row, current, _advice_out(made, on_verdict))
    raise _busy(session_id)


def _busy(session_id: str) -> Conflict:
    return Conflict(
        f"Questionnaire session {session_id!r} changed under {ATTEMPTS} other answers while this one was applied; send it again.",
        code="session_busy",
        headers={"Retry-After": "1"},
    )
