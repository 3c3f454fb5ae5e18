"""/v1/questionnaire: the adaptive questionnaire (schema, sessions, answers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from service.api.problems import PROBLEM_RESPONSES
from service.deps import ClockDep, DatabaseDep, MetricsDep, TenantDep
from service.questionnaire import service
from service.questionnaire.questions import Lang
from service.questionnaire.schemas import AnswerIn, SchemaOut, SessionCreate, SessionOut

router = APIRouter(prefix="/v1/questionnaire", tags=["questionnaire"], responses=PROBLEM_RESPONSES)
# The routes run on the event loop, like POST /v1/advice: a session's request is a millisecond of CPU and
# one small read and write, and two thread-pool hops (the session dependency, the route) cost as much.
LangQuery = Annotated[Lang, Query(description="Language of the questions")]


@router.get("/schema", response_model=SchemaOut, summary="Every question, in the order they would be asked")
async def get_schema(tenant: TenantDep, lang: LangQuery = "en") -> SchemaOut:
    return service.schema(lang)


@router.post("/sessions", status_code=201, response_model=SessionOut, summary="Start a questionnaire, optionally prefilled")
async def create_session(
    body: SessionCreate, database: DatabaseDep, tenant: TenantDep, clock: ClockDep, metrics: MetricsDep, response: Response
) -> SessionOut:
    with database.session() as session:
        out = service.create_session(session, tenant, body, clock, metrics.count_verdict)
    response.headers["Location"] = f"/v1/questionnaire/sessions/{out.id}"
    return out


@router.get("/sessions/{session_id}", response_model=SessionOut, summary="Resume a questionnaire")
async def get_session(
    session_id: str, database: DatabaseDep, tenant: TenantDep, clock: ClockDep, metrics: MetricsDep
) -> SessionOut:
    with database.session() as session:
        return service.get_session(session, tenant, session_id, clock, metrics.count_verdict)


@router.post("/sessions/{session_id}/answers", response_model=SessionOut, summary="Answer (or change) one question")
async def answer(
    session_id: str, body: AnswerIn, database: DatabaseDep, tenant: TenantDep, clock: ClockDep, metrics: MetricsDep
) -> SessionOut:
    with database.session() as session:
        return service.answer(session, tenant, session_id, body, clock, metrics.count_verdict)
