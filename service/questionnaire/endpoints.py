"""/v1/questionnaire: the adaptive questionnaire (schema, sessions, answers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from service.api.lean import lean_route
from service.api.problems import PROBLEM_RESPONSES, problem_responses
from service.deps import ClockDep, MetricsDep, Served, ServedDep, SessionDep, TenantDep, served_json
from service.questionnaire import service
from service.questionnaire.questions import Lang
from service.questionnaire.schemas import AnswerIn, SchemaOut, SessionCreate, SessionOut

router = APIRouter(prefix="/v1/questionnaire", tags=["questionnaire"], responses=PROBLEM_RESPONSES)
# Routes that touch the database are sync and run in the thread pool (docs/decisions/0006); /schema reads
# nothing but the question list, so it stays on the event loop.
LangQuery = Annotated[Lang, Query(description="Language of the questions")]


@router.get("/schema", response_model=SchemaOut, summary="Every question, in the order they would be asked")
async def get_schema(tenant: TenantDep, lang: LangQuery = "en") -> SchemaOut:
    return service.schema(lang)


SESSION_AT = f"{router.prefix}/sessions/{{id}}"  # a new session's Location, on both paths


def create_session(body: SessionCreate, served: ServedDep, response: Response) -> SessionOut:
    out = _create(body, served)
    response.headers["Location"] = SESSION_AT.format(id=out.id)
    return out


def _create(body: SessionCreate, served: Served) -> SessionOut:
    with served.database.session() as session:
        return service.create_session(session, served.tenant, body, served.clock, served.metrics.count_verdict)


router.add_api_route(
    "/sessions",
    create_session,
    methods=["POST"],
    status_code=201,
    response_model=SessionOut,
    summary="Start a questionnaire, optionally prefilled",
    # A plain start skips FastAPI's dependency solving; tests/service/questionnaire/test_api.py compares the bytes.
    route_class_override=lean_route(served_json(_create, status_code=201, location=SESSION_AT)),
)


# 409 session_busy: the session kept changing under other answers while this request applied its own (Retry-After).
BUSY = problem_responses(409)


@router.get("/sessions/{session_id}", response_model=SessionOut, summary="Resume a questionnaire", responses=BUSY)
def get_session(session_id: str, session: SessionDep, tenant: TenantDep, clock: ClockDep, metrics: MetricsDep) -> SessionOut:
    return service.get_session(session, tenant, session_id, clock, metrics.count_verdict)


def answer(session_id: str, body: AnswerIn, served: ServedDep) -> SessionOut:
    # One dependency, and the session opened in this thread (ADR 0018, 0019).
    with served.database.session() as session:
        return service.answer(session, served.tenant, session_id, body, served.clock, served.metrics.count_verdict)


router.add_api_route(
    "/sessions/{session_id}/answers",
    answer,
    methods=["POST"],
    response_model=SessionOut,
    summary="Answer (or change) one question",
    responses=BUSY,
    # The most frequent request of a questionnaire: plain answers skip FastAPI's dependency solving (ADR 0019).
    route_class_override=lean_route(served_json(answer, "session_id")),
)
