"""create_app(settings) -> FastAPI. Nothing happens at import time."""

from __future__ import annotations

import asyncio
import datetime as dt
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

# Importing the service builds ~100,000 objects that live as long as the process, and the garbage collector's
# passes over that growing heap found ~1,300 garbage objects in all while costing ~0.2 s of the ~1 s import (ADR
# 0018). No collection runs while the service's modules load, and what they built is frozen at the end (else the
# first collection after would walk all of it as young objects); the lifespan freezes what start-up adds.
_COLLECTING = gc.isenabled()
gc.disable()
try:
    from fastapi import FastAPI
    from fastapi.telemetry import TelemetryConfig
    from sqlalchemy.exc import SQLAlchemyError
    from starlette.concurrency import run_in_threadpool

    from service import auth
    from service.advice import service as advice
    from service.api import edge, problems
    from service.api.routers import OPENAPI_TAGS, ROUTERS
    from service.config import Clock, Settings, get_settings
    from service.datasets.service import sweep_abandoned, sweep_orphans
    from service.experiments.service import evidence as experiment_evidence
    from service.knowledge_bases.service import sweep_upload_orphans
    from service.ops import observability
    from service.ops.limits import BodyLimit
    from service.ops.malloc import limit_malloc_arenas
    from service.providers.factory import extraction_clients, tuning_clients
    from service.questionnaire import service as questionnaire
    from service.slack.endpoints import install as install_slack
    from service.store.db import Database, upgrade
    from service.web.endpoints import router as web
    from service.worker.client import WorkerClient
finally:
    gc.freeze()
    if _COLLECTING:
        gc.enable()

API_DESCRIPTION = (
    "Ask before you spend weeks on an LLM feature: prompting, RAG, fine-tuning, or RAG + fine-tuning. "
    "Every verdict cites the rules that fired and the guide section each comes from."
)

SWEEP_EVERY_SECONDS = 3600
log = logging.getLogger("service.main")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the worker's client; close what ``create_app`` opened when the server stops, last opened first."""
    async with AsyncExitStack() as owned:
        owned.callback(app.state.database.dispose)
        owned.push_async_callback(app.state.rate_limiter.aclose)
        app.state.worker = WorkerClient(app.state.settings)  # one connection pool for the app's life
        owned.callback(app.state.worker.close)
        sweeper = asyncio.create_task(_sweep_datasets(app))  # start-up swept once; then every hour
        owned.callback(sweeper.cancel)
        warm_up(app.state.clock)
        if app.state.settings.freeze_heap:
            freeze_startup_heap()
            owned.callback(gc.unfreeze)  # a process that builds another app collects this one's objects again
        yield


def warm_up(clock: Clock) -> None:
    """Decide one profile and plan an empty questionnaire before the first request, so that the first team to ask
    after a start does not wait while the rules load and their tables are built (~45-80 ms for an advice, ~120 ms for
    a questionnaire session; ADR 0032). A failure is logged: the other routes serve anyway, and a route that needs
    the rules answers with the error it meets."""
    try:
        advice.warm_up(clock)
        questionnaire.warm_up(clock)
    except Exception:
        log.exception("warming up the rules failed; the first advice or questionnaire will load them itself")


def freeze_startup_heap() -> None:
    """Leave what start-up built (modules, the rules, pydantic schemas, routes: most of the heap) out of every later
    garbage collection.

    Those objects live as long as the process, yet each full collection walked all of them: with the server's heap
    a full collection took ~80 ms and cold advice paid ~27 us per request for them; frozen, a few us (ADR 0018).
    Collect first, so that start-up's garbage is freed rather than kept forever.
    """
    gc.collect()
    gc.freeze()


async def _sweep_datasets(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    while settings.dataset_ttl_hours > 0:
        await asyncio.sleep(SWEEP_EVERY_SECONDS)
        try:
            await run_in_threadpool(sweep_abandoned, app.state.database, settings.dataset_ttl_hours)
        except SQLAlchemyError as exc:  # the database is down: the next round tries again
            log.warning("dataset sweep skipped: %s", type(exc).__name__)


# FastAPI's native OpenTelemetry, off: each request would otherwise look for a configured provider (ADR 0026).
NO_OTEL: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}


def create_app(settings: Settings | None = None, *, clock: object = None) -> FastAPI:
    """Build the app: open the store (running migrations), mount routes and error handlers.

    What the app owns is built here, on ``app.state`` (tests reach the database before the app starts and
    swap the provider factories), reached by routes through ``service.deps``, and closed by ``lifespan``.
    """
    settings = settings or get_settings()
    limit_malloc_arenas()  # before the route thread pool starts: a flatter RSS over a long run (service/ops/malloc.py)
    settings.ensure_dirs()
    observability.configure_logging(settings)  # first: migrations and routers may log
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    sweep_orphans(database, settings.data_dir)  # uploads a killed process wrote but never recorded
    sweep_upload_orphans(database, settings.data_dir)  # the same for knowledge-base uploads
    sweep_abandoned(database, settings.dataset_ttl_hours)  # datasets past their TTL that no tuning job uses

    # /docs and /redoc come from service/web/docs.py, which serves their scripts itself (they work offline).
    app = FastAPI(
        title="Tuning Advisor",
        version="0.1.0",
        description=API_DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=OPENAPI_TAGS,
        docs_url=None,
        redoc_url=None,
        telemetry=None if settings.otel else NO_OTEL,
    )
    # No 307 from `/v1/datasets/` to `/v1/datasets`: a path whose id is empty would answer with the list, whose
    # shape is not the item's (schemathesis' stateful run found it); an empty id is a 404 like any unknown one.
    app.router.redirect_slashes = False
    app.state.settings = settings
    app.state.database = database
    app.state.clock = clock or dt.date.today
    app.state.metrics = observability.Metrics(database)  # its own registry: tests build many apps in one process
    app.state.tuning_clients = tuning_clients(settings)
    app.state.extraction_clients = extraction_clients(settings, app.state.clock)
    app.state.experiment_evidence = experiment_evidence  # advice reads measurements without importing experiments
    problems.install(app)
    edge.install(app, direct=not settings.otel)  # before the gate is added, so it runs inside it: a refused key costs no parsing
    auth.install(app, settings)
    for router in ROUTERS:
        app.include_router(router, **auth.documented(router, settings))
    install_slack(app, settings)
    app.include_router(web)  # last: it serves `/` and static files
    app.add_middleware(BodyLimit, max_body=settings.max_body_bytes, max_upload=settings.max_upload_mb * 1024 * 1024)
    observability.install(app, app.state.metrics)  # outermost: every response gets a request id and is measured
    return app
