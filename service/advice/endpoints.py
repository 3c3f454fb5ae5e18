"""POST/GET /v1/advice."""

from __future__ import annotations

from typing import Annotated, get_args

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from rules.facts import Lang, Profile
from service.advice import service as advice
from service.advice.schemas import AdviceBody, AdviceOut, AdvicePage, AdviceRequest
from service.api.lean import lean_route
from service.api.problems import PROBLEM_RESPONSES
from service.artifacts.schemas import Artifact
from service.deps import Served, ServedDep, SessionDep, TenantDep, get_served
from service.store.cursors import CURSOR_DESCRIPTION, CURSOR_PATTERN
from service.worker.client import WorkerClient
from service.worker.schemas import SearchHit, SearchQuery

router = APIRouter(prefix="/v1/advice", tags=["advice"], responses=PROBLEM_RESPONSES)


def create_advice(
    body: AdviceBody,
    served: ServedDep,
    lang: Annotated[Lang | None, Query(description="Language of the verdict's texts; a wrapped body's `lang` wins")] = None,
) -> Response:
    # Sync, in the thread pool, like every route that touches the database (docs/decisions/0006); one dependency
    # rather than one per thing it uses, and a session opened in this thread only when the request reads the store
    # (ADR 0018, 0019).
    wants_artifact = isinstance(body, AdviceRequest) and body.artifact
    # The worker's embeddings and search when it is up; else the artifact selects with hashed word counts
    # and a RAG artifact says how to build its grounded prompt once the worker runs.
    embed = served.worker.embedder_if_up() if wants_artifact else None
    search = _search(served.worker) if embed is not None else None
    advice_id, answer = advice.advise(
        served.database, served.tenant, body, served.clock, embed, served.metrics.count_verdict, lang, search, served.evidence
    )
    return _created(advice_id, answer)


def _created(advice_id: str, body: bytes) -> Response:
    return Response(body, status_code=201, media_type="application/json", headers={"Location": f"/v1/advice/{advice_id}"})


async def _lean_create_advice(request: Request, body: AdviceRequest | Profile, query: dict[str, str]) -> Response:
    """A plain POST /v1/advice (a valid JSON body, no query or ``lang=en|he``) without FastAPI's dependency solving
    (service/api/lean.py). A request that reads nothing from the store is decided here on the event loop, and its row
    committed here when SQLite takes it without waiting; only a busy database sends the insert to the thread pool
    (ADR 0023). The others run ``create_advice`` in the thread pool, as FastAPI would."""
    served: Served = await get_served(request)
    lang: Lang | None = query.get("lang")  # type: ignore[assignment]  # only the values lean_route was given
    plain = advice.as_request(body, lang)
    if not advice.plain(plain):
        response: Response = await run_in_threadpool(create_advice, body, served, lang)
        return response
    values = advice.decide_plain(served.tenant, plain, served.clock)
    count = served.metrics.count_verdict
    answer = await advice.store_soon(served.database, served.tenant, values, count)
    if answer is None:
        answer = await run_in_threadpool(advice.store_plain, served.database, served.tenant, values, count)
    return _created(values["id"], answer)


router.add_api_route(
    "",
    create_advice,
    methods=["POST"],
    status_code=201,
    response_model=AdviceOut,
    summary="Decide a strategy for a profile and store it",
    route_class_override=lean_route(_lean_create_advice, {"lang": get_args(Lang)}),
)


@router.get("", response_model=AdvicePage, summary="List stored advice, newest first")
def list_advice(
    session: SessionDep,
    tenant: TenantDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(description=CURSOR_DESCRIPTION, json_schema_extra={"pattern": CURSOR_PATTERN})] = None,
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


def _search(worker: WorkerClient) -> advice.Search:
    """Grounded-prompt retrieval through the worker, which holds the vector store and the model."""

    def search(kb_id: str, q: str, k: int) -> list[SearchHit]:
        return worker.search(SearchQuery(kb_id=kb_id, q=q, k=k, mode="hybrid")).hits

    return search


@router.get("/{advice_id}", response_model=AdviceOut, summary="One stored advice")
def get_advice(advice_id: str, session: SessionDep, tenant: TenantDep) -> AdviceOut:
    return advice.get_advice(session, tenant, advice_id)
