"""POST/GET /v1/advice."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from service import advice
from service.api.deps import ClockDep, DatabaseDep, SessionDep, TenantDep
from service.api.problems import PROBLEM_RESPONSES
from service.schemas import AdviceBody, AdviceOut, AdvicePage
from service.store.repositories import CURSOR_PATTERN

router = APIRouter(prefix="/v1/advice", tags=["advice"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, response_model=AdviceOut, summary="Decide a strategy for a profile and store it")
async def create_advice(body: AdviceBody, database: DatabaseDep, tenant: TenantDep, clock: ClockDep) -> Response:
    # The hot path runs on the event loop: it is CPU work under the GIL either way (about 1 ms), and a
    # thread-pool hop per request cost more than it saved. The stored JSON is sent as is.
    with database.session() as session:
        payload = advice.create_advice(session, tenant, body, clock)
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
