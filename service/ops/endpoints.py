"""Operations: liveness, readiness and the Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy.exc import SQLAlchemyError

from service.deps import DatabaseDep, MetricsDep
from service.errors import ServiceUnavailable
from service.ops.schemas import Health

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=Health, summary="The process is up")
async def healthz() -> Health:
    return Health(status="ok")


@router.get(
    "/readyz",
    response_model=Health,
    summary="The process can serve: its database answers",
    responses={503: {"description": "Not ready"}},
)
def readyz(database: DatabaseDep) -> Health:
    try:
        database.ping()
    except SQLAlchemyError as exc:
        raise ServiceUnavailable(
            "The database does not answer; requests that store data will fail until it is back.", code="database_unavailable"
        ) from exc
    return Health(status="ok", checks={"database": "ok"})


@router.get("/metrics", include_in_schema=False)
def metrics(registry: MetricsDep) -> Response:
    """Sync on purpose: the job gauges query the store, which must not block the event loop."""
    return Response(registry.exposition(), headers={"content-type": CONTENT_TYPE_LATEST})
