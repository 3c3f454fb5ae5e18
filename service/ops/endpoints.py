"""Operations: liveness, readiness and the Prometheus metrics (behind a key or ADVISOR_METRICS_TOKEN when keys are on)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError

from service.api.problems import problem_responses
from service.auth import require_metrics_access
from service.deps import DatabaseDep, MetricsDep, WorkerDep
from service.errors import ServiceUnavailable
from service.ops.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="The process can serve: its database answers, a supervised worker is not restarting (up, with ?require=worker)",
    responses=problem_responses(422, 503),
)
def readyz(
    database: DatabaseDep,
    worker: WorkerDep,
    require: Annotated[
        Literal["worker"] | None, Query(description="`worker`: 503 too while the worker is starting or down")
    ] = None,
) -> Health:
    # Advice, datasets and the questionnaire need no worker, so by default its state is reported, not required:
    # readiness does not flap with the worker for traffic that never reaches it.
    try:
        database.ping()
    except SQLAlchemyError as exc:
        raise ServiceUnavailable(
            "The database does not answer; requests that store data will fail until it is back.", code="database_unavailable"
        ) from exc
    state = worker.state()
    supervised = worker.supervision()
    checks: dict[str, str | int] = {"database": "ok", "worker": state}
    if supervised is not None:
        checks["restarts"] = supervised.restarts
    if state == "restarting":
        # Under `advisor serve` a dead worker is a fault being repaired, not a worker that was never asked for.
        raise ServiceUnavailable(
            f"The worker died ({supervised.restarts if supervised else 0} restart(s) so far) and is being started "
            "again; searches and ingestion wait for it.",
            code="worker_restarting",
            errors=[{"check": "worker", **checks}],
        )
    if require == "worker" and state != "ok":
        raise ServiceUnavailable(
            f"The worker is {state}; searches, few-shot prompts and ingestion wait for it (start it with `advisor worker`).",
            code="worker_unavailable",
            errors=[{"check": "worker", "state": state}],
        )
    return Health(status="ok", checks=checks)


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(require_metrics_access)])
def metrics(registry: MetricsDep) -> Response:
    """Sync on purpose: the job gauges query the store, which must not block the event loop."""
    return Response(registry.exposition(), headers={"content-type": CONTENT_TYPE_LATEST})
