"""Knowledge-base use cases on the API side: rows in the store, files on disk, work for the worker."""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import uuid
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service import quotas
from service.config import Settings
from service.errors import Conflict, NotFound, PayloadTooLarge, ValidationFailed
from service.inputs import disk_name, original_name
from service.knowledge_bases import evaluations
from service.knowledge_bases.defaults import SUPPORTED_EXTENSIONS
from service.knowledge_bases.parsers import MAX_ID_CHARS
from service.store.db import Database
from service.store.locks import lock_tenant
from service.store.models import JobRow, KbDocumentRow, KnowledgeBaseRow, utcnow
from service.store.orphans import ORPHAN_AFTER_SECONDS, remove_stale_folders
from service.worker.schemas import DocumentRef, EvalItem, EvaluateQuery, KbRef, Mode, Operations, SearchHit, SearchQuery

CHUNK = 1024 * 1024
DOCUMENT_REF_PREFIX = "doc_"


def collection_for(tenant_id: str, name: str) -> str:
    """Stable per tenant and name, and never shared between tenants."""
    digest = hashlib.sha256(f"{tenant_id}\x00{name}".encode()).hexdigest()[:16]
    return f"kb-{digest}"


def create_kb(
    session: Session, tenant_id: str, name: str, embedding_model: str | None, chunk_tokens: int, chunk_overlap: int
) -> KnowledgeBaseRow:
    if chunk_overlap >= chunk_tokens:
        raise ValidationFailed("chunk_overlap must be smaller than chunk_tokens.", field="chunk_overlap")
    row = KnowledgeBaseRow(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        name=name,
        collection=collection_for(tenant_id, name),
        embedding_model=embedding_model,
        chunk_tokens=chunk_tokens,
        chunk_overlap=chunk_overlap,
        created_at=utcnow(),
    )
    session.add(row)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict(
            f"A knowledge base named {name!r} exists; pick another name or delete it.", code="knowledge_base_exists"
        ) from exc
    return row


# Built once: every search and grounded prompt looks its knowledge base up, and building the statement (SQLAlchemy's
# operator overloading) cost about as much as running it.
_BY_REF = select(KnowledgeBaseRow).where(
    KnowledgeBaseRow.tenant_id == bindparam("tenant"),
    (KnowledgeBaseRow.id == bindparam("ref")) | (KnowledgeBaseRow.name == bindparam("ref")),
)


def get_kb(session: Session, tenant_id: str, ref: str) -> KnowledgeBaseRow:
    """By id or by name."""
    row = session.scalars(_BY_REF, {"tenant": tenant_id, "ref": ref}).first()
    if row is None:
        raise NotFound(f"No knowledge base {ref!r}; create it with POST /v1/knowledge-bases.", code="knowledge_base_not_found")
    return row


def list_kbs(session: Session, tenant_id: str) -> list[KnowledgeBaseRow]:
    query = select(KnowledgeBaseRow).where(KnowledgeBaseRow.tenant_id == tenant_id).order_by(KnowledgeBaseRow.created_at)
    return list(session.scalars(query))


def document_count(session: Session, kb: KnowledgeBaseRow) -> tuple[int, int]:
    query = select(func.count(), func.coalesce(func.sum(KbDocumentRow.chunks), 0)).where(KbDocumentRow.kb_id == kb.id)
    documents, chunks = session.execute(query).one()
    return int(documents), int(chunks)


def delete_kb(session: Session, worker: Operations, kb: KnowledgeBaseRow) -> None:
    """Drop the collection through the worker first, then the rows: nothing orphaned in the store."""
    documents, _ = document_count(session, kb)
    if documents:
        worker.drop(KbRef(kb_id=kb.id))
    for row in session.scalars(select(KbDocumentRow).where(KbDocumentRow.kb_id == kb.id)):
        session.delete(row)
    session.delete(kb)
    session.commit()


def _document_name(filename: str | None) -> str:
    """The name the client sent, which is the document's name (its id and citation source); 422 when unusable."""
    name = original_name(filename, "files") or "document.txt"
    if not name.lower().endswith(SUPPORTED_EXTENSIONS):
        raise ValidationFailed(
            f"{name!r}: unsupported file type; send {', '.join(SUPPORTED_EXTENSIONS)}.",
            code="unsupported_file_type",
            field="files",
        )
    return name


def _store_file(stream: BinaryIO, name: str, folder: Path, budget: int) -> tuple[dict[str, str], int]:
    # The disk gets a safe name of its own.
    target = folder / f"{len(list(folder.iterdir())):04d}-{disk_name(name, 'document.txt')}"
    size = 0
    with target.open("wb") as out:
        for block in iter(lambda: stream.read(CHUNK), b""):
            size += len(block)
            if size > budget:
                raise PayloadTooLarge("The upload is larger than ADVISOR_MAX_UPLOAD_MB allows; send fewer or smaller files.")
            out.write(block)
        out.flush()
        os.fsync(out.fileno())
    return {"path": str(target), "filename": name}, size


def start_ingestion(
    session: Session, settings: Settings, tenant_id: str, kb: KnowledgeBaseRow, uploads: list[tuple[BinaryIO, str | None]]
) -> JobRow:
    """Store the files, record a queued job, then enqueue it: a crash never loses an accepted upload."""
    if not uploads:
        raise ValidationFailed("Send at least one file in the `files` field.", field="files")
    names = [_document_name(filename) for _stream, filename in uploads]  # a refused name is 422 whatever the queue
    _check_jobs_quota(session, settings, tenant_id)  # before a byte is stored
    job_id = str(uuid.uuid4())
    folder = settings.data_dir / "kb_uploads" / job_id
    folder.mkdir(parents=True)
    files: list[dict[str, str]] = []
    budget = settings.max_upload_mb * 1024 * 1024
    try:
        for (stream, _filename), name in zip(uploads, names, strict=True):
            stored, size = _store_file(stream, name, folder, budget)
            budget -= size
            files.append(stored)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        lock_tenant(session, tenant_id)  # until the commit: a simultaneous upload counts after this one's job
        _check_jobs_quota(session, settings, tenant_id)
    except BaseException:
        session.rollback()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    now = utcnow()
    job = JobRow(
        id=job_id,
        tenant_id=tenant_id,
        kind="ingest",
        kb_id=kb.id,
        state="queued",
        done=0,
        total=0,
        attempts=0,
        payload={"files": files},
        created_at=now,
        updated_at=now,
    )
    session.add(job)
    session.commit()
    from service.worker.queue import QueueUnavailable, get_queue  # Huey loads on the first upload, not at start-up

    try:
        get_queue(settings).submit_ingest(job_id)
    except QueueUnavailable:
        # Not accepted (503): drop the row and the files, so no job waits in `queued` for a queue that never got it.
        session.delete(job)
        session.commit()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    return job


def _check_jobs_quota(session: Session, settings: Settings, tenant_id: str) -> None:
    active = JobRow.state.in_(("queued", "running"))
    running = session.scalar(select(func.count()).where(JobRow.tenant_id == tenant_id, active)) or 0
    quotas.check(settings, "concurrent_jobs", running + 1)


def sweep_upload_orphans(database: Database, data_dir: Path, older_than: float = ORPHAN_AFTER_SECONDS) -> list[Path]:
    """Remove kb_uploads folders no job row names (a process killed between storing the files and the row)."""
    with database.session() as session:
        known = list(session.scalars(select(JobRow.id)))
    return remove_stale_folders(data_dir / "kb_uploads", known, older_than)


def get_job(session: Session, tenant_id: str, job_id: str) -> JobRow:
    job = session.get(JobRow, job_id)
    if job is None or job.tenant_id != tenant_id:
        raise NotFound(f"No job {job_id!r}.", code="job_not_found")
    return job


def list_documents(session: Session, kb: KnowledgeBaseRow) -> list[KbDocumentRow]:
    query = select(KbDocumentRow).where(KbDocumentRow.kb_id == kb.id).order_by(KbDocumentRow.source, KbDocumentRow.doc_id)
    return list(session.scalars(query))


def document_ref(doc_id: str) -> str:
    """The opaque id the API addresses a document by: one URL path segment for any doc_id (``/``, ``?``, ``..``)."""
    return DOCUMENT_REF_PREFIX + base64.urlsafe_b64encode(doc_id.encode("utf-8")).decode("ascii").rstrip("=")


def _doc_id_in(ref: str) -> str | None:
    if not ref.startswith(DOCUMENT_REF_PREFIX):
        return None
    encoded = ref.removeprefix(DOCUMENT_REF_PREFIX)
    try:
        return base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None


def get_document(session: Session, kb: KnowledgeBaseRow, ref: str) -> KbDocumentRow:
    """By its opaque id (``document_ref``), or by its doc_id when that fits in a path segment."""
    for doc_id in (_doc_id_in(ref), ref):
        # Stored ids never hold NUL (the parser refuses it), and PostgreSQL could not even compare one.
        if doc_id is not None and len(doc_id) <= MAX_ID_CHARS and "\x00" not in doc_id:
            row = session.get(KbDocumentRow, (kb.id, doc_id))
            if row is not None:
                return row
    raise NotFound(f"No document {ref!r} in {kb.name!r}; GET its documents for their ids.", code="document_not_found")


def delete_document(session: Session, worker: Operations, kb: KnowledgeBaseRow, ref: str) -> int:
    row = get_document(session, kb, ref)
    removed = worker.delete_document(DocumentRef(kb_id=kb.id, doc_id=row.doc_id)).removed
    session.delete(row)
    session.commit()
    return removed


def query(worker: Operations, kb: KnowledgeBaseRow, q: str, k: int, mode: Mode) -> list[SearchHit]:
    return worker.search(SearchQuery(kb_id=kb.id, q=q, k=k, mode=mode)).hits


def evaluate(worker: Operations, kb: KnowledgeBaseRow, items: list[EvalItem], modes: list[Mode]) -> dict[str, dict[str, Any]]:
    return worker.evaluate(EvaluateQuery(kb_id=kb.id, items=items, modes=modes)).metrics


def last_evaluation(session: Session, kb: KnowledgeBaseRow) -> JobRow | None:
    """The knowledge base's last retrieval evaluation (its metrics and sample questions), None before the first."""
    return evaluations.last(session, kb)
