"""POST/GET /v1/advice."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from rules.facts import Lang
from service.advice import service as advice
from service.advice.repository import CURSOR_PATTERN
from service.advice.schemas import AdviceBody, AdviceOut, AdvicePage, AdviceRequest
from service.api.problems import PROBLEM_RESPONSES
from service.deps import ClockDep, MetricsDep, SessionDep, TenantDep, WorkerDep

router = APIRouter(prefix="/v1/advice", tags=["advice"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, response_model=AdviceOut, summary="Decide a strategy for a profile and store it")
def create_advice(
    body: AdviceBody,
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
    metrics: MetricsDep,
    worker: WorkerDep,
    lang: Annotated[Lang | None, Query(description="Language of the verdict's texts; a wrapped body's `lang` wins")] = None,
) -> Response:
    # Sync, in the thread pool, like every route that touches the database (docs/decisions/0006).
    wants_artifact = isinstance(body, AdviceRequest) and body.artifact
    # The worker's embeddings when it is up; else the artifact selects with hashed word counts.
    embed = worker.embedder_if_up() if wants_artifact else None
    payload = advice.create_advice(session, tenant, body, clock, embed, metrics.count_verdict, lang)
    return Response(
        json.dumps(payload, ensure_ascii=False, separators=(",", ":")),
        status_code=201,
        media_type="application/json",
        headers={"Location": f"/v1/advice/{payload['id']}"},
    )


@router.get("", response_model=AdvicePage, summary="List stored advice, newest first")
def list_advice(
    session: SessionDep,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(pattern=CURSOR_PATTERN, description="next_cursor of the previous page")] = None,
) -> AdvicePage:
    return advice.list_advice(session, tenant, limit, cursor)


@router.get("/{advice_id}/artifact", response_model=dict[str, Any], summary="The artifact built with an advice")
def get_artifact(advice_id: str, session: SessionDep, tenant: TenantDep) -> dict[str, Any]:
    return advice.get_artifact(session, tenant, advice_id)


@router.get("/{advice_id}", response_model=AdviceOut, summary="One stored advice")
def get_advice(advice_id: str, session: SessionDep, tenant: TenantDep) -> AdviceOut:
    return advice.get_advice(session, tenant, advice_id)
