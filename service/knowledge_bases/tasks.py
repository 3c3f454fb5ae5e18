"""Background tasks. Each is idempotent: a job run twice (after a crash) embeds nothing twice."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select, text

from service import quotas
from service.errors import AdvisorError, QuotaExceeded
from service.knowledge_bases.chunking import Chunk, chunk_document
from service.knowledge_bases.parsers import ParsedDocument, parse_file
from service.store.models import JobRow, KbDocumentRow, KnowledgeBaseRow, utcnow

if TYPE_CHECKING:  # the API registers the task to enqueue it, and must not import the store to do so
    from service.worker.runtime import Runtime

log = logging.getLogger("service.worker")
PROGRESS_EVERY_SECONDS = 0.5


def ingest_task(runtime: Runtime | None) -> Callable[[str], None]:
    """The Huey task's body, bound to the worker's runtime; ``None`` where a process only enqueues (the API).

    Huey names the task by this module and the name it is registered under, so the API's enqueue-only
    copy and the worker's runnable one are the same task on the queue.
    """

    def run_ingest(job_id: str) -> None:
        if runtime is None:
            raise RuntimeError("ingestion jobs run in the worker process (`advisor worker`), not here")
        ingest(runtime, job_id)

    return run_ingest


def _update(runtime: Runtime, job_id: str, **values: Any) -> None:
    with runtime.database.session() as session:
        job = session.get(JobRow, job_id)
        if job is None:
            return
        for key, value in values.items():
            setattr(job, key, value)
        job.updated_at = utcnow()
        session.commit()


def _parse(runtime: Runtime, files: list[dict[str, str]]) -> tuple[list[ParsedDocument], list[dict[str, Any]]]:
    documents: list[ParsedDocument] = []
    errors: list[dict[str, Any]] = []

    def check_pages(pages: int) -> None:
        quotas.check(runtime.settings, "pdf_pages", pages, field="files")

    for item in files:
        try:
            documents += parse_file(Path(item["path"]).read_bytes(), item["filename"], check_pages)
        except QuotaExceeded:
            raise  # the whole job fails: nothing of it is stored
        except AdvisorError as exc:
            errors.append({"file": item["filename"], "code": exc.code, "message": exc.message, "line": exc.line})
    return documents, errors


@contextmanager
def _claim(runtime: Runtime, job_id: str) -> Iterator[bool]:
    """True while this process alone runs the job: several workers on PostgreSQL never run one job at once.

    A starting worker re-queues every unfinished job, including one a live worker is running. The
    PostgreSQL session lock dies with its holder's connection, so a killed worker's job is free at once.
    SQLite means one machine and one worker per data dir: nothing to claim.
    """
    engine = runtime.database.engine
    if engine.dialect.name != "postgresql":
        yield True
        return
    key = int.from_bytes(hashlib.sha256(f"ingest:{job_id}".encode()).digest()[:8], "big", signed=True)
    with engine.connect() as connection:
        claimed = bool(connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar())
        connection.commit()
        try:
            yield claimed
        finally:
            if claimed:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                connection.commit()


def ingest(runtime: Runtime, job_id: str) -> None:
    """Run the job unless another worker is running it now."""
    with _claim(runtime, job_id) as claimed:
        if not claimed:
            log.info("job %s is running in another worker; not starting it twice", job_id)
            return
        _ingest(runtime, job_id)


def _ingest(runtime: Runtime, job_id: str) -> None:
    """Parse, chunk and upsert every file of the job, one document at a time, with progress."""
    with runtime.database.session() as session:
        job = session.get(JobRow, job_id)
        if job is None or job.state == "succeeded":
            return
        job.state, job.attempts, job.updated_at = "running", job.attempts + 1, utcnow()
        session.commit()
        payload, kb_id, tenant_id = dict(job.payload), job.kb_id or "", job.tenant_id
    try:
        kb = runtime.kb(kb_id)
        index = runtime.index(kb)
        documents, errors = _parse(runtime, payload["files"])
        chunked = _chunk_within_quotas(runtime, kb, documents)
        total = sum(len(chunks) for _, chunks in chunked)
        _update(runtime, job_id, total=total, done=0)
        totals = {"embedded": 0, "skipped": 0, "removed": 0}
        finished = 0
        last = time.monotonic()
        for doc, chunks in chunked:

            def progress(done: int, _total: int, base: int = finished) -> None:
                nonlocal last
                if time.monotonic() - last >= PROGRESS_EVERY_SECONDS:
                    last = time.monotonic()
                    _update(runtime, job_id, done=base + done)

            # One document per write: a crash keeps finished documents, and a rerun skips them by hash.
            result = index.upsert_document(doc, chunks, progress)
            totals["embedded"] += result.embedded
            totals["skipped"] += result.skipped
            totals["removed"] += result.removed
            finished += len(chunks)
            _record_document(runtime, tenant_id, kb_id, doc, len(chunks))
            _update(runtime, job_id, done=finished)
        index.refresh()  # lexical search sees the new chunks now, not after a background rebuild
        outcome = {**totals, "documents": len(documents), "chunks": total, "errors": errors}
        state = "failed" if errors and not documents else "succeeded"
        _update(
            runtime,
            job_id,
            state=state,
            result=outcome,
            done=total,
            error={"code": "no_documents", "message": "No file could be parsed."} if state == "failed" else None,
        )
    except AdvisorError as exc:
        error = {"code": exc.code, "message": exc.message, **({"quota": exc.quota} if isinstance(exc, QuotaExceeded) else {})}
        _update(runtime, job_id, state="failed", error=error)
    except Exception as exc:
        log.exception("ingestion job %s failed", job_id)
        _update(runtime, job_id, state="failed", error={"code": "ingestion_failed", "message": type(exc).__name__})
        raise


def _chunk_within_quotas(
    runtime: Runtime, kb: KnowledgeBaseRow, documents: list[ParsedDocument]
) -> list[tuple[ParsedDocument, list[Chunk]]]:
    """Chunk every document, checking the chunk quotas before anything is embedded or stored: a document over
    ``chunks_per_document``, or a knowledge base that would grow past ``chunks_per_kb``, fails the whole job."""
    chunked = []
    for doc in documents:
        chunks = chunk_document(doc, kb.chunk_tokens, kb.chunk_overlap, model=kb.embedding_model or "")
        quotas.check(runtime.settings, "chunks_per_document", len(chunks), field="files")  # before the next is chunked
        chunked.append((doc, chunks))
    replaced = [doc.doc_id for doc in documents]  # a document ingested again replaces its old chunks
    with runtime.database.session() as session:
        kept = KbDocumentRow.kb_id == kb.id, KbDocumentRow.doc_id.not_in(replaced)
        stored = session.scalar(select(func.coalesce(func.sum(KbDocumentRow.chunks), 0)).where(*kept)) or 0
    quotas.check(runtime.settings, "chunks_per_kb", int(stored) + sum(len(chunks) for _, chunks in chunked), field="files")
    return chunked


def _record_document(runtime: Runtime, tenant_id: str, kb_id: str, doc: ParsedDocument, chunks: int) -> None:
    with runtime.database.session() as session:
        row = session.get(KbDocumentRow, (kb_id, doc.doc_id))
        if row is None:
            row = KbDocumentRow(kb_id=kb_id, doc_id=doc.doc_id, tenant_id=tenant_id)
            session.add(row)
        row.source, row.chunks, row.characters, row.updated_at = doc.source, chunks, len(doc.text), utcnow()
        session.commit()


def unfinished_jobs(runtime: Runtime) -> list[str]:
    """Jobs a dead worker left queued or running; the new worker runs them again."""
    with runtime.database.session() as session:
        query = select(JobRow.id).where(JobRow.state.in_(("queued", "running"))).order_by(JobRow.created_at)
        return list(session.scalars(query))
