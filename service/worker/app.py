"""The worker's endpoint: a small FastAPI app with one typed route per operation, run by uvicorn in the worker.

Errors travel as ``{"code", "detail"}`` with the AdvisorError's status, so the API re-raises the same
error its caller would have got in-process. With ADVISOR_WORKER_SECRET set, every route wants
``Authorization: Bearer <secret>``; beyond loopback the worker does not start without one.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from service.config import Settings
from service.errors import AdvisorError, Unauthorized
from service.worker.operations import StoreOperations
from service.worker.runtime import Runtime
from service.worker.schemas import (
    DeleteResult,
    DocumentRef,
    DropResult,
    EmbedQuery,
    EmbedResult,
    EvaluateQuery,
    EvaluateResult,
    HealthResult,
    KbRef,
    SearchQuery,
    SearchResult,
    StatsResult,
    WorkerProblem,
)

log = logging.getLogger("service.worker")


class WorkerSecretRequired(AdvisorError):
    status = 500
    code = "worker_secret_required"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def require_secret_beyond_loopback(settings: Settings) -> None:
    """An endpoint other machines can reach must not answer strangers: refuse to start without a secret."""
    if settings.worker_secret is None and not is_loopback(settings.worker_host):
        raise WorkerSecretRequired(
            f"The worker would listen on {settings.worker_host}, beyond loopback, without a secret; set "
            "ADVISOR_WORKER_SECRET (the same value on the API processes) or ADVISOR_WORKER_HOST=127.0.0.1."
        )


def _problem(status: int, code: str, detail: str) -> JSONResponse:
    return JSONResponse(WorkerProblem(code=code, detail=detail).model_dump(), status_code=status)


def _operations(request: Request) -> StoreOperations:
    operations: StoreOperations = request.app.state.operations
    return operations


OperationsDep = Annotated[StoreOperations, Depends(_operations)]


def create_worker_app(runtime: Runtime) -> FastAPI:
    """The app the worker serves; ``runtime`` is the worker's open store and model cache."""
    settings = runtime.settings
    require_secret_beyond_loopback(settings)
    expected = None if settings.worker_secret is None else f"Bearer {settings.worker_secret.get_secret_value()}".encode()

    async def check_secret(request: Request) -> None:
        if expected is None:
            return
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            raise Unauthorized(
                "The worker wants `Authorization: Bearer <ADVISOR_WORKER_SECRET>`; give the API the worker's secret.",
                code="worker_secret_invalid",
            )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.operations = StoreOperations(runtime)
        yield

    app = FastAPI(
        title="Tuning Advisor worker",
        lifespan=lifespan,
        dependencies=[Depends(check_secret)],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )

    @app.exception_handler(AdvisorError)
    async def advisor_error(_request: Request, exc: AdvisorError) -> JSONResponse:
        return _problem(exc.status, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _problem(400, "bad_worker_request", str(exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _problem(exc.status_code, "not_found" if exc.status_code == 404 else "bad_worker_request", request.url.path)

    @app.exception_handler(Exception)
    async def failure(request: Request, _exc: Exception) -> JSONResponse:
        log.exception("worker operation %s failed", request.url.path)
        return _problem(500, "worker_error", "the worker failed; see its log")

    # Every search passes here, so it skips FastAPI's dependency solving and the re-validation of its own typed
    # result: the same secret check, body model, thread and errors, by hand. (Its saving was within the noise of the
    # worker's CPU per search on the shared machine; the callgrind figure in ADR 0020 is the API's side.)
    async def search(request: Request) -> Response:
        await check_secret(request)
        try:
            query = SearchQuery.model_validate_json(await request.body())
        except ValidationError as exc:
            return _problem(400, "bad_worker_request", str(exc.errors(include_url=False)))
        result: SearchResult = await run_in_threadpool(_operations(request).search, query)
        return Response(result.model_dump_json(), media_type="application/json")

    app.router.add_route("/search", search, methods=["POST"], include_in_schema=False)

    # Sync routes on purpose: each blocks on Chroma or the model in a pool thread, never on the event loop.

    @app.post("/evaluate", response_model=EvaluateResult)
    def evaluate(body: EvaluateQuery, ops: OperationsDep) -> EvaluateResult:
        return ops.evaluate(body)

    @app.post("/documents/delete", response_model=DeleteResult)
    def delete_document(body: DocumentRef, ops: OperationsDep) -> DeleteResult:
        return ops.delete_document(body)

    @app.post("/drop", response_model=DropResult)
    def drop(body: KbRef, ops: OperationsDep) -> DropResult:
        return ops.drop(body)

    @app.post("/stats", response_model=StatsResult)
    def stats(body: KbRef, ops: OperationsDep) -> StatsResult:
        return ops.stats(body)

    @app.post("/embed", response_model=EmbedResult)
    def embed(body: EmbedQuery, ops: OperationsDep) -> EmbedResult:
        return ops.embed(body)

    @app.api_route("/health", methods=["GET", "POST"], response_model=HealthResult)
    async def health(ops: OperationsDep) -> HealthResult:
        return ops.health()

    return app
