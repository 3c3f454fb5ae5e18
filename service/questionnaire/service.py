"""The questionnaire use case: sessions that ask only what can still change the verdict, stored per tenant.

A session's state is derived from its answers on every change: the next question and whether it is
done come from ``rules.reachability.open_questions``. When no unanswered question can change the strategy, the session
stores an advice (``service.advice.create_advice``, the same as POST /v1/advice) and is done.
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
from service.errors import NotFound
from service.questionnaire.questions import Lang, field_order, question, questions, validate_answer
from service.questionnaire.repository import QuestionnaireRepository
from service.questionnaire.schemas import AnswerIn, Progress, SchemaOut, SessionCreate, SessionOut
from service.store.models import utcnow

FIRST = "task"  # asked before anything else: the advice is stored under it


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


def _row(session: Session, tenant_id: str, session_id: str, *, lock: bool = False) -> _State:
    found = QuestionnaireRepository(session, tenant_id).load(session_id, lock=lock)
    if found is None:
        raise NotFound(
            f"No questionnaire session {session_id!r}; start one with POST /v1/questionnaire/sessions.",
            code="session_not_found",
        )
    return _State(**found)


def _save(session: Session, row: _State) -> None:
    values = {"status": row.status, "answers": row.answers, "asked": row.asked, "advice_id": row.advice_id}
    QuestionnaireRepository(session, row.tenant_id).save(row.id, {**values, "updated_at": row.updated_at})


def _settle(
    session: Session, tenant_id: str, row: _State, today: Clock, on_verdict: OnVerdict | None
) -> tuple[Plan, AdviceOut | None]:
    """Bring status and advice in line with the answers; returns the plan and a newly stored advice."""
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
    payload = advice.create_advice(session, tenant_id, request, today, on_verdict=on_verdict)
    row.status, row.advice_id = "done", payload["id"]
    return current, AdviceOut.model_validate(payload)


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
    current, made = _settle(session, tenant_id, row, today, on_verdict)
    QuestionnaireRepository(session, tenant_id).insert(asdict(row))
    session.commit()
    return _out(session, tenant_id, row, current, made)


def get_session(
    session: Session, tenant_id: str, session_id: str, today: Clock, on_verdict: OnVerdict | None = None
) -> SessionOut:
    """Resume a session: a finished one as stored, an open one with its next question."""
    row = _row(session, tenant_id, session_id)
    if row.status == "done" and row.advice_id is not None:
        return _out(session, tenant_id, row, None, None)
    # Still asking: the plan depends on today (a provider's tuning may have ended since).
    current, made = _settle(session, tenant_id, row, today, on_verdict)
    if made is not None:
        row.updated_at = utcnow()
        _save(session, row)
    session.commit()
    return _out(session, tenant_id, row, current, made)


def answer(
    session: Session, tenant_id: str, session_id: str, body: AnswerIn, today: Clock, on_verdict: OnVerdict | None = None
) -> SessionOut:
    """Record one answer (or change an earlier one) and move the session on."""
    row = _row(session, tenant_id, session_id, lock=True)
    value: Any = validate_answer(body.question_id, body.value)
    changed = body.question_id not in row.answers or row.answers[body.question_id] != value
    if changed:
        row.answers = {**row.answers, body.question_id: value}
        if body.question_id not in row.asked:
            row.asked = [*row.asked, body.question_id]
        # A stored advice belongs to the old answers; _settle stores a new one or asks again.
        row.status, row.advice_id = "asking", None
        row.updated_at = utcnow()
    if row.status == "done" and row.advice_id is not None:
        session.commit()
        return _out(session, tenant_id, row, None, None)
    current, made = _settle(session, tenant_id, row, today, on_verdict)
    _save(session, row)
    session.commit()
    return _out(session, tenant_id, row, current, made)
