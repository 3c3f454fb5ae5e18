"""/v1/questionnaire: the adaptive questionnaire (schema, sessions, answers)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from service.api.lean import lean_route
from service.api.problems import PROBLEM_RESPONSES, problem_responses
from service.deps import ClockDep, MetricsDep, Served, ServedDep, SessionDep, TenantDep, get_served
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


def create_session(body: SessionCreate, served: ServedDep, response: Response) -> SessionOut:
    out = _create(body, served)
    response.headers["Location"] = f"/v1/questionnaire/sessions/{out.id}"
    return out


def _create(body: SessionCreate, served: Served) -> SessionOut:
    with served.database.session() as session:
        return service.create_session(session, served.tenant, body, served.clock, served.metrics.count_verdict)


async def _lean_create(request: Request, body: SessionCreate, _query: dict[str, str]) -> Response:
    """A plain start (like ``_lean_answer``): the same bytes as FastAPI's, with the same Location."""
    served = await get_served(request)
    out: SessionOut = await run_in_threadpool(_create, body, served)
    headers = {"Location": f"/v1/questionnaire/sessions/{out.id}"}
    return Response(out.model_dump_json(by_alias=True), status_code=201, media_type="application/json", headers=headers)


router.add_api_route(
    "/sessions",
    create_session,
    methods=["POST"],
    status_code=201,
    response_model=SessionOut,
    summary="Start a questionnaire, optionally prefilled",
    route_class_override=lean_route(_lean_create),
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


async def _lean_answer(request: Request, body: AnswerIn, _query: dict[str, str]) -> Response:
    """A plain answer (a valid JSON body, no query string) without FastAPI's dependency solving and response model
    (service/api/lean.py): the most frequent request of a questionnaire. The same bytes as FastAPI's serialization of
    ``SessionOut`` (tests/service/questionnaire/test_api.py compares them)."""
    served = await get_served(request)
    out: SessionOut = await run_in_threadpool(answer, request.path_params["session_id"], body, served)
    return Response(out.model_dump_json(by_alias=True), media_type="application/json")


router.add_api_route(
    "/sessions/{session_id}/answers",
    answer,
    methods=["POST"],
    response_model=SessionOut,
    summary="Answer (or change) one question",
    responses=BUSY,
    route_class_override=lean_route(_lean_answer),
)
