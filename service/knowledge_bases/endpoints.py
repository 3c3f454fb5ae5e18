"""Knowledge bases: create, ingest (202 + job), search, grounded prompts, retrieval evaluation."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Path, Request, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from service import quotas
from service.api.forms import OneValueEach
from service.api.lean import lean_route
from service.api.problems import problem_responses
from service.deps import ServedDep, SessionDep, SettingsDep, TenantDep, WorkerDep, get_served, served_json
from service.knowledge_bases import evaluations, service
from service.knowledge_bases.fusion import no_good_match
from service.knowledge_bases.grounding import GroundedPrompt, grounded_prompt
from service.knowledge_bases.schemas import (
    DocumentOut,
    EvaluateIn,
    HitOut,
    JobOut,
    KnowledgeBaseIn,
    KnowledgeBaseOut,
    PromptIn,
    QueryIn,
    QueryOut,
)
from service.store.models import JobRow, KbDocumentRow, KnowledgeBaseRow
from service.worker.schemas import EvalItem

DocRef = Annotated[str, Path(description="The document's `id` from the list (its `doc_id` works too when it has no `/`).")]
router = APIRouter(tags=["knowledge bases"], responses=problem_responses(400, 404, 409, 413, 422, 503))


def _kb_out(session: SessionDep, row: KnowledgeBaseRow) -> KnowledgeBaseOut:
    documents, chunks = service.document_count(session, row)
    return KnowledgeBaseOut(
        id=row.id,
        name=row.name,
        embedding_model=row.embedding_model,
        chunk_tokens=row.chunk_tokens,
        chunk_overlap=row.chunk_overlap,
        documents=documents,
        chunks=chunks,
        created_at=row.created_at,
    )


def job_out(job: JobRow) -> JobOut:
    return JobOut(
        id=job.id,
        kind=job.kind,
        state=job.state,
        knowledge_base=job.kb_id,
        progress={"done": job.done, "total": job.total},
        attempts=job.attempts,
        result=job.result,
        error=job.error,
        created_at=job.created_at,
        updated_at=job.updated_at,
    )


def _doc_out(row: KbDocumentRow) -> DocumentOut:
    return DocumentOut(
        id=service.document_ref(row.doc_id),
        doc_id=row.doc_id,
        source=row.source,
        chunks=row.chunks,
        characters=row.characters,
        updated_at=row.updated_at,
    )


@router.post("/v1/knowledge-bases", status_code=201, response_model=KnowledgeBaseOut, summary="Create a knowledge base")
def create(body: KnowledgeBaseIn, response: Response, session: SessionDep, tenant: TenantDep) -> KnowledgeBaseOut:
    row = service.create_kb(session, tenant, body.name, body.embedding_model, body.chunk_tokens, body.chunk_overlap)
    response.headers["Location"] = f"/v1/knowledge-bases/{row.id}"
    return _kb_out(session, row)


@router.get("/v1/knowledge-bases", response_model=list[KnowledgeBaseOut], summary="Your knowledge bases")
def list_all(session: SessionDep, tenant: TenantDep) -> list[KnowledgeBaseOut]:
    return [_kb_out(session, row) for row in service.list_kbs(session, tenant)]


@router.get("/v1/knowledge-bases/{kb}", response_model=KnowledgeBaseOut, summary="One knowledge base, by id or name")
def get(kb: str, session: SessionDep, tenant: TenantDep) -> KnowledgeBaseOut:
    return _kb_out(session, service.get_kb(session, tenant, kb))


@router.delete("/v1/knowledge-bases/{kb}", status_code=204, summary="Delete a knowledge base and its vectors")
def delete(kb: str, session: SessionDep, tenant: TenantDep, worker: WorkerDep) -> Response:
    service.delete_kb(session, worker, service.get_kb(session, tenant, kb))
    return Response(status_code=204)


@router.post(
    "/v1/knowledge-bases/{kb}/documents",
    status_code=202,
    response_model=JobOut,
    summary="Upload documents; the worker ingests them",
    responses=problem_responses(429),  # the tenant's queued and running jobs are at quota_concurrent_jobs
    dependencies=[OneValueEach],
)
def upload(
    kb: str,
    files: Annotated[list[UploadFile], File(min_length=1, description=".txt .md .html .pdf, or .jsonl of {id, text, metadata}")],
    response: Response,
    session: SessionDep,
    tenant: TenantDep,
    settings: SettingsDep,
) -> JobOut:
    row = service.get_kb(session, tenant, kb)
    job = service.start_ingestion(session, settings, tenant, row, [(item.file, item.filename) for item in files])
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job_out(job)


@router.get("/v1/jobs/{job_id}", response_model=JobOut, summary="A background job: state and progress")
def job(job_id: str, session: SessionDep, tenant: TenantDep) -> JobOut:
    return job_out(service.get_job(session, tenant, job_id))


@router.get("/v1/knowledge-bases/{kb}/documents", response_model=list[DocumentOut], summary="Documents in a knowledge base")
def documents(kb: str, session: SessionDep, tenant: TenantDep) -> list[DocumentOut]:
    return [_doc_out(row) for row in service.list_documents(session, service.get_kb(session, tenant, kb))]


@router.get("/v1/knowledge-bases/{kb}/documents/{doc_id}", response_model=DocumentOut, summary="One document")
def document(kb: str, doc_id: DocRef, session: SessionDep, tenant: TenantDep) -> DocumentOut:
    return _doc_out(service.get_document(session, service.get_kb(session, tenant, kb), doc_id))


@router.delete("/v1/knowledge-bases/{kb}/documents/{doc_id}", status_code=204, summary="Remove a document and its chunks")
def delete_document(kb: str, doc_id: DocRef, session: SessionDep, tenant: TenantDep, worker: WorkerDep) -> Response:
    service.delete_document(session, worker, service.get_kb(session, tenant, kb), doc_id)
    return Response(status_code=204)


def query(kb: str, body: QueryIn, served: ServedDep) -> Response:
    # One dependency, and the session closed before the worker is asked: no connection is held during a search.
    with served.database.session() as session:
        row = service.get_kb(session, served.tenant, kb)
    found = service.query(served.worker, row, body.q, body.k, body.mode)
    hits = [HitOut.model_validate(hit, from_attributes=True) for hit in found]
    out = QueryOut(hits=hits, no_good_match=no_good_match([hit.relevance for hit in hits]))
    return Response(out.model_dump_json(), media_type="application/json")


async def _lean_query(request: Request, body: QueryIn, _query: dict[str, str]) -> Response:
    """A plain search (valid JSON body, no query string) without FastAPI's dependency solving (ADR 0019, 0020)."""
    served = await get_served(request)
    response: Response = await run_in_threadpool(query, request.path_params["kb"], body, served)
    return response


router.add_api_route(
    "/v1/knowledge-bases/{kb}/query",
    query,
    methods=["POST"],
    response_model=QueryOut,
    summary="Search: dense, lexical or hybrid",
    route_class_override=lean_route(_lean_query),
)


def prompt(kb: str, body: PromptIn, served: ServedDep) -> GroundedPrompt:
    # Like the search: one dependency, and the session closed before the worker is asked.
    with served.database.session() as session:
        row = service.get_kb(session, served.tenant, kb)
    hits = service.query(served.worker, row, body.q, body.k, body.mode)
    return grounded_prompt(body.q, hits, body.provider, today=served.clock())


router.add_api_route(
    "/v1/knowledge-bases/{kb}/prompt",
    prompt,
    methods=["POST"],
    response_model=GroundedPrompt,
    summary="A grounded prompt with numbered citations",
    # Plain requests skip FastAPI's dependency solving; tests/service/knowledge_bases/test_endpoints.py compares the bytes.
    route_class_override=lean_route(served_json(prompt, "kb")),
)


@router.post(
    "/v1/knowledge-bases/{kb}/evaluate",
    response_model=dict[str, Any],
    summary="hit@1, hit@3, hit@5 and MRR per mode and language",
)
def evaluate(
    kb: str, body: EvaluateIn, session: SessionDep, tenant: TenantDep, settings: SettingsDep, worker: WorkerDep
) -> dict[str, Any]:
    quotas.check(settings, "evaluation_items", len(body.items), field="items")  # before any question is embedded
    items = [EvalItem(q=item.q, expected_doc=item.expected_doc, lang=item.lang) for item in body.items]
    row = service.get_kb(session, tenant, kb)
    metrics = service.evaluate(worker, row, items, list(body.modes))
    # An advice bound to this knowledge base quotes its last evaluation.
    evaluations.record(session, row, [item.model_dump(exclude_none=True) for item in items], metrics)
    return {"metrics": metrics}
