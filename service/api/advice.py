"""POST/GET /v1/advice."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response

from service import advice
from service.api.deps import ClockDep, SessionDep, TenantDep
from service.api.problems import PROBLEM_RESPONSES
from service.schemas import AdviceBody, AdviceOut, AdvicePage
from service.store.repositories import CURSOR_PATTERN

router = APIRouter(prefix="/v1/advice", tags=["advice"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, response_model=AdviceOut, summary="Decide a strategy for a profile and store it")
def create_advice(body: AdviceBody, response: Response, session: SessionDep, tenant: TenantDep, clock: ClockDep) -> AdviceOut:
    out = advice.create_advice(session, tenant, body, clock)
    response.headers["Location"] = f"/v1/advice/{out.id}"
    return out


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
