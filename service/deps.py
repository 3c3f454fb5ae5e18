"""Dependencies as types: routes declare what they need, not how to get it.

What the app owns (``create_app`` builds it on ``app.state``, the lifespan closes it) reaches code only
through these. The cheap ones are ``async``: a sync dependency costs a thread-pool hop per request.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from rules.measured import Measurement
from service import auth
from service.config import Clock, Settings
from service.ops.observability import Metrics
from service.providers.base import TuningClient
from service.store.db import Database
from service.worker.client import WorkerClient

# (session, tenant, experiment id) -> each candidate's measured accuracy; raises NotFound for another tenant's
ExperimentEvidence = Callable[[Session, str, str], Measurement]

TuningClients = Callable[[str], TuningClient | None]
# provider -> extraction client; None: built from the settings at the first LLM intake (keeps SDK imports off start-up)
ExtractionClients = Callable[[str], Any] | None


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A session for the request. Opening one touches no database (the connection is taken at its first query, in
    the route's thread), so this runs on the event loop; closing goes to a thread only when a transaction is still
    open (a route that did not commit), saving two thread-pool hops per request."""
    database: Database = request.app.state.database
    session = database.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)
        else:
            session.close()


async def get_tenant(request: Request) -> str:
    """The tenant of the request's API key, as the auth gate found it (service/auth); open mode: the default tenant."""
    tenant: str | None = request.scope.get("state", {}).get("tenant")
    if tenant is not None:
        return tenant
    settings: Settings = request.app.state.settings
    if not settings.auth_enabled:
        return settings.default_tenant
    # A route outside /v1 that needs a tenant: the gate did not run, so check the key here (fail closed).
    return await auth.tenant_of_request(request)


async def get_worker(request: Request) -> WorkerClient:
    """The process's client of the worker, opened in the app's lifespan."""
    worker: WorkerClient = request.app.state.worker
    return worker


async def get_clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


async def get_metrics(request: Request) -> Metrics:
    metrics: Metrics = request.app.state.metrics
    return metrics


async def get_tuning_clients(request: Request) -> TuningClients:
    clients: TuningClients = request.app.state.tuning_clients
    return clients


async def get_experiment_evidence(request: Request) -> ExperimentEvidence | None:
    """What an experiment measured, as the rules read it; set by ``create_app`` (advice does not import experiments)."""
    evidence: ExperimentEvidence | None = getattr(request.app.state, "experiment_evidence", None)
    return evidence


async def get_extraction_clients(request: Request) -> ExtractionClients:
    clients: ExtractionClients = request.app.state.extraction_clients
    return clients


@dataclass(frozen=True, slots=True)
class Served:
    """What the app owns that the advice route uses, and the request's tenant, solved as one dependency.

    FastAPI solves every dependency of a route on each request, at tens of microseconds each; POST /v1/advice had
    seven (session, tenant, clock, metrics, worker, evidence), a fifth of its server CPU (ADR 0018). The route opens its
    session from ``database`` in its own thread, which also saves the generator dependency's exit on the loop.
    """

    database: Database
    tenant: str
    clock: Clock
    metrics: Metrics
    worker: WorkerClient
    evidence: ExperimentEvidence | None


async def get_served(request: Request) -> Served:
    state = request.app.state
    evidence: ExperimentEvidence | None = getattr(state, "experiment_evidence", None)
    return Served(state.database, await get_tenant(request), state.clock, state.metrics, state.worker, evidence)


def served_json(call: Callable[..., Any], *path: str, status_code: int = 200, location: str | None = None) -> Any:
    """A lean route's handler (service/api/lean.py) for a route whose function is ``call(*path values, body, served)``
    and returns a pydantic model: ``call`` runs in the thread pool, as FastAPI would run it, and its model is written
    as FastAPI writes a response model (by alias). ``location``: a Location header, formatted with the model's id."""

    async def lean(request: Request, body: Any, _query: dict[str, str]) -> Response:
        served = await get_served(request)
        out = await run_in_threadpool(call, *(request.path_params[name] for name in path), body, served)
        headers = None if location is None else {"Location": location.format(id=out.id)}
        return Response(out.model_dump_json(by_alias=True), status_code, headers, media_type="application/json")

    return lean


SettingsDep = Annotated[Settings, Depends(get_settings)]
DatabaseDep = Annotated[Database, Depends(get_database)]
SessionDep = Annotated[Session, Depends(get_session)]
TenantDep = Annotated[str, Depends(get_tenant)]
ClockDep = Annotated[Clock, Depends(get_clock)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
TuningClientsDep = Annotated[TuningClients, Depends(get_tuning_clients)]
ExtractionClientsDep = Annotated[ExtractionClients, Depends(get_extraction_clients)]
WorkerDep = Annotated[WorkerClient, Depends(get_worker)]
ExperimentEvidenceDep = Annotated[ExperimentEvidence | None, Depends(get_experiment_evidence)]
ServedDep = Annotated[Served, Depends(get_served)]
