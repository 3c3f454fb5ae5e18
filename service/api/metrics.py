"""GET /metrics: the Prometheus text format, open like /healthz and left out of the OpenAPI document."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST

from service.errors import NotFound
from service.observability import Metrics

router = APIRouter(tags=["operations"])


@router.get("/metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    """Sync on purpose: the job gauges query the store, which must not block the event loop."""
    registry: Metrics | None = getattr(request.app.state, "metrics", None)
    if registry is None:
        raise NotFound("Metrics are not enabled in this app.", code="metrics_disabled")
    return Response(registry.exposition(), headers={"content-type": CONTENT_TYPE_LATEST})
