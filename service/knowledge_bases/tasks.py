"""Background tasks. Each is idempotent: a job run twice (after a crash) embeds nothing twice."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from huey.exceptions import RetryTask
from sqlalchemy import func, select

from service import quotas
from service.errors import AdvisorError, QuotaExceeded
from service.knowledge_bases.chunking import Chunk, chunk_document
from service.knowledge_bases.parsers import ParsedDocument, parse_file
from service.store import jobs
from service.store.models import JobRow, KbDocumentRow, KnowledgeBaseRow, utcnow

if TYPE_CHECKING:  # the API registers the task to enqueue it, and must not import the store to do so
    from service.worker.runtime import Runtime

log = logging.getLogger("service.worker")
PROGRESS_EVERY_SECONDS = 0.5
# How much lower than the worker's searches an ingestion thread runs (nice levels; ADR 0015).
INGEST_NICENESS = 10


def background_priority() -> None:
    """Lower the calling thread's CPU priority, once; threads it starts (the ingest lane's ONNX pool) inherit it.

    Linux schedules threads one by one, so a search thread keeps its priority while an ingestion embeds
    beside it. Where the OS has no per-thread priority, nothing changes.
    """
    if getattr(_lowered, "done", False) or not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, max(os.getpriority(os.PRIO_PROCESS, tid), INGEST_NICENESS))
    except OSError:  # a sandbox that forbids it: ingestion just competes as before
        log.debug("could not lower the ingestion thread's priority", exc_info=True)
    _lowered.done = True


_lowered = threading.local()


def ingest_task(runtime: Runtime | None) -> Callable[[str], None]:
    """The Huey task's body, bound to the worker's runtime; ``None`` where a process only enqueues (the API).

    Huey names the task by this module and the name it is registered under, so the API's enqueue-only
    copy and the worker's runnable one are the same task on the queue. A message means "a job is
    queued": the worker runs the job the fair order picks (service/store/jobs.py), not necessarily its id.
    """

    def run_ingest(job_id: str) -> None:
        if runtime is None:
            raise RuntimeError("ingestion jobs run in the worker process (`advisor worker`), not here")
        try:
            run_next(runtime)
        except TurnGiven as given:
            # The job is queued again and needs a message: Huey sends this one again (the queue, Redis or SQLite).
            raise RetryTask() from given

    return run_ingest


class TurnGiven(Exception):  # not an error: control goes back to the queue
    """A long job gave its turn to another tenant's waiting job; it is queued again, to resume where it stopped."""


def run_next(runtime: Runtime) -> str | None:
    """Claim the next job in fair order and run it under a lease; its id, or None when nothing was queued.

    Raises TurnGiven when the job stopped after a slice for another tenant (it is queued again, without a message).
    """
    settings = runtime.settings
    job_id = jobs.claim_next(runtime.database, runtime.owner, settings.job_lease_seconds)
    if job_id is not None:
        _run_claimed(runtime, job_id, slices=True)
    return job_id


def ingest(runtime: Runtime, job_id: str) -> None:
    """Run this job here (the CLI without a worker), unless it is not queued or a worker took it."""
    if not jobs.claim(runtime.database, job_id, runtime.owner, runtime.settings.job_lease_seconds):
        log.info("job %s is not queued (a worker runs it, or it finished); not starting it twice", job_id)
        return
    _run_claimed(runtime, job_id)


def _run_claimed(runtime: Runtime, job_id: str, *, slices: bool = False) -> None:
    with jobs.Lease(runtime.database, job_id, runtime.owner, runtime.settings.job_lease_seconds) as lease:
        given = _ingest(runtime, job_id, lease.lost, slices=slices)
    if given:
        raise TurnGiven(job_id)


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


def _ingest(runtime: Runtime, job_id: str, lost: threading.Event, *, slices: bool = False) -> bool:
    """Parse, chunk and upsert every file of the job, one document at a time, with progress.

    With ``slices``, after every ADVISOR_INGEST_SLICE_CHUNKS chunks (whole documents) it gives its turn to
    another tenant's waiting job: True then, the job queued again with the documents done and the counts so far
    in its payload's ``resume``; the next run skips those documents (the parse and chunking are deterministic).
    """
    with runtime.database.session() as session:
        job = session.get(JobRow, job_id)
        if job is None:
            return False
        payload, kb_id, tenant_id = dict(job.payload), job.kb_id or "", job.tenant_id
    try:
        kb = runtime.kb(kb_id)
        background_priority()
        index = runtime.index(kb, lane="ingest")
        documents, errors = _parse(runtime, payload["files"])
        chunked = _chunk_within_quotas(runtime, kb, documents)
        total = sum(len(chunks) for _, chunks in chunked)
        resume = payload.get("resume", {})
        start = int(resume.get("documents", 0))
        totals = {key: int(resume.get(key, 0)) for key in ("embedded", "skipped", "removed")}
        finished = sum(len(chunks) for _, chunks in chunked[:start])
        _update(runtime, job_id, total=total, done=finished)
        sliced = 0
        last = time.monotonic()
        for position, (doc, chunks) in enumerate(chunked[start:], start=start + 1):
            if lost.is_set():
                return False  # the lease ran out and the job went back to the queue: whoever runs it now finishes it

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
            sliced += len(chunks)
            _record_document(runtime, tenant_id, kb_id, doc, len(chunks))
            _update(runtime, job_id, done=finished)
            if (
                slices
                and sliced >= runtime.settings.ingest_slice_chunks
                and position < len(chunked)
                and jobs.others_waiting(runtime.database, tenant_id)
            ):
                index.refresh()  # what is stored so far is searchable while the job waits for its next turn
                resume = {"documents": position, **totals}
                if not jobs.give_turn(runtime.database, job_id, runtime.owner, {**payload, "resume": resume}, finished):
                    return False  # the lease ran out meanwhile: the job is someone else's now
                log.info("job %s gives its turn after %d of %d chunks: another tenant waits", job_id, finished, total)
                return True
        index.refresh()  # lexical search sees the new chunks now, not after a background rebuild
        if lost.is_set():
            return False
        outcome = {**totals, "documents": len(documents), "chunks": total, "errors": errors}
        state = "failed" if errors and not documents else "succeeded"
        _update(
            runtime,
            job_id,
            state=state,
            result=outcome,
            done=total,
            error={"code": "no_documents", "message": "No file could be parsed."} if state == "failed" else None,
            **_released(),
        )
        return False
    except AdvisorError as exc:
        error = {"code": exc.code, "message": exc.message, **({"quota": exc.quota} if isinstance(exc, QuotaExceeded) else {})}
        _update(runtime, job_id, state="failed", error=error, **_released())
        return False
    except Exception as exc:
        log.exception("ingestion job %s failed", job_id)
        _update(runtime, job_id, state="failed", error={"code": "ingestion_failed", "message": type(exc).__name__}, **_released())
        raise


def _released() -> dict[str, Any]:
    return {"owner": None, "lease_until": None, "finished_at": utcnow()}


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
