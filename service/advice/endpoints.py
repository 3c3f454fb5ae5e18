"""POST/GET /v1/advice."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from service.advice import service as advice
from service.advice.repository import CURSOR_PATTERN
from service.advice.schemas import AdviceBody, AdviceOut, AdvicePage, AdviceRequest
from service.api.problems import PROBLEM_RESPONSES
from service.artifacts.schemas import Artifact
from service.deps import ClockDep, DatabaseDep, SessionDep, SettingsDep, TenantDep
from service.worker.client import call as worker_call
from service.worker.client import worker_embed, worker_running

router = APIRouter(prefix="/v1/advice", tags=["advice"], responses=PROBLEM_RESPONSES)


@router.post("", status_code=201, response_model=AdviceOut, summary="Decide a strategy for a profile and store it")
async def create_advice(
    body: AdviceBody, database: DatabaseDep, tenant: TenantDep, clock: ClockDep, settings: SettingsDep
) -> Response:
    # The plain verdict runs on the event loop: CPU work under the GIL either way (about 1 ms), and a
    # thread-pool hop cost more than it saved. Artifacts may wait on the worker, so they go to a thread.
    wants_artifact = isinstance(body, AdviceRequest) and body.artifact

    def run() -> dict[str, Any]:
        running = wants_artifact and worker_running(settings)
        embed = worker_embed(settings) if running else None
        search = _search(settings) if running else None
        with database.session() as session:
            return advice.create_advice(session, tenant, body, clock, embed, search)

    payload = await run_in_threadpool(run) if wants_artifact else run()
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


@router.get("/{advice_id}/artifact", response_model=Artifact, summary="The artifact built with an advice (download)")
def get_artifact(advice_id: str, session: SessionDep, tenant: TenantDep) -> Response:
    stored = Artifact.model_validate(advice.get_artifact(session, tenant, advice_id))
    return Response(
        stored.model_dump_json(by_alias=True),
        media_type="application/json",
        headers={"Content-Disposition": f'attachment; filename="advice-{advice_id}-{stored.strategy}.json"'},
    )


def _search(settings: Any) -> Any:
    """Grounded-prompt retrieval through the worker, which holds the vector store and the model."""

    def search(kb_id: str, q: str, k: int) -> list[dict[str, Any]]:
        hits: list[dict[str, Any]] = worker_call(settings, "query", {"kb_id": kb_id, "q": q, "k": k, "mode": "hybrid"})["hits"]
        return hits

    return search


@router.get("/{advice_id}", response_model=AdviceOut, summary="One stored advice")
def get_advice(advice_id: str, session: SessionDep, tenant: TenantDep) -> AdviceOut:
    return advice.get_advice(session, tenant, advice_id)
