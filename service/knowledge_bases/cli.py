"""`advisor kb ...` and `advisor worker`. With a worker running, the CLI goes through it; else it owns the store."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer

from service.config import Settings, get_settings
from service.errors import AdvisorError
from service.worker.client import WorkerClient
from service.worker.local import operations
from service.worker.schemas import EvalItem, EvaluateQuery, Mode, Operations, SearchQuery

Result = TypeVar("Result")

kb_app = typer.Typer(help="Knowledge bases for the RAG path: create, ingest, query, evaluate.", no_args_is_help=True)


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@contextlib.contextmanager
def _session(settings: Settings) -> Iterator[Any]:
    from service.store.db import Database, upgrade

    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    try:
        with database.session() as session:
            yield session
    finally:
        database.dispose()


@kb_app.command("create")
def create(
    name: str,
    embedding_model: Annotated[str | None, typer.Option(help="sentence-transformers name or path")] = None,
    chunk_tokens: Annotated[int, typer.Option(min=50, max=2000, help="in the embedding model's tokens")] = 254,
    chunk_overlap: Annotated[int, typer.Option(min=0, max=1000)] = 38,
) -> None:
    """Create a knowledge base."""
    from service.knowledge_bases import service

    settings = get_settings()
    with _session(settings) as session:
        try:
            row = service.create_kb(session, settings.default_tenant, name, embedding_model, chunk_tokens, chunk_overlap)
        except AdvisorError as exc:
            raise _fail(exc.message) from exc
        typer.echo(json.dumps({"id": row.id, "name": row.name}))


@kb_app.command("ingest")
def ingest(name: str, paths: Annotated[list[Path], typer.Argument(exists=True, dir_okay=False, readable=True)]) -> None:
    """Ingest files and wait for the job, with a progress bar."""
    from service.knowledge_bases import service

    settings = get_settings()
    with _session(settings) as session:
        try:
            kb = service.get_kb(session, settings.default_tenant, name)
            handles = [path.open("rb") for path in paths]
            try:
                job = service.start_ingestion(
                    session, settings, settings.default_tenant, kb, [(h, p.name) for h, p in zip(handles, paths, strict=True)]
                )
            finally:
                for handle in handles:
                    handle.close()
        except AdvisorError as exc:
            raise _fail(exc.message) from exc
        job_id = job.id
    try:
        with operations(settings) as ops:
            # A running worker takes the job from the queue; with none, this process runs it on the store it owns.
            runner = None
            if not isinstance(ops, WorkerClient):
                runner = threading.Thread(target=_ingest_here, args=(ops, job_id), daemon=True)
                runner.start()
            result = _wait(settings, job_id)
            if runner is not None:
                runner.join()
    except AdvisorError as exc:
        raise _fail(exc.message) from exc
    typer.echo(json.dumps(result))
    if result["state"] != "succeeded":
        raise typer.Exit(1)


def _ingest_here(ops: Operations, job_id: str) -> None:
    from service.knowledge_bases.tasks import ingest as run
    from service.worker.operations import StoreOperations

    assert isinstance(ops, StoreOperations)
    run(ops.runtime, job_id)


def _wait(settings: Settings, job_id: str) -> dict[str, Any]:
    from service.store.models import JobRow

    with _session(settings) as session, typer.progressbar(length=1, label="Ingesting", file=None) as bar:
        shown = 0
        while True:
            session.expire_all()
            job = session.get(JobRow, job_id)
            if job is None:
                raise _fail(f"job {job_id} disappeared")
            if job.total:
                bar.length = job.total
                bar.update(job.done - shown)
                shown = job.done
            if job.state in ("succeeded", "failed"):
                return {"job": job.id, "state": job.state, "result": job.result, "error": job.error}
            time.sleep(0.2)


@kb_app.command("query")
def query(
    name: str,
    question: str,
    k: Annotated[int, typer.Option(min=1, max=50)] = 5,
    mode: Annotated[str, typer.Option(help="dense, lexical or hybrid")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help='Print {"hits": [...]}')] = False,
) -> None:
    """Search a knowledge base."""
    from service.knowledge_bases.fusion import no_good_match

    if mode not in ("dense", "lexical", "hybrid"):
        raise _fail("--mode is dense, lexical or hybrid")
    found = _with_kb(name, lambda ops, kb_id: ops.search(SearchQuery(kb_id=kb_id, q=question, k=k, mode=cast(Mode, mode))))
    unmatched = no_good_match([hit.relevance for hit in found.hits])
    if as_json:
        typer.echo(json.dumps({**found.model_dump(), "no_good_match": unmatched}, ensure_ascii=False))
        return
    if unmatched:
        typer.echo("No good match: nothing here is likely to answer this question.")
    for rank, hit in enumerate(found.hits, 1):
        relevance = "?" if hit.relevance is None else f"{hit.relevance:.2f}"
        typer.echo(f"{rank}. {hit.doc} #{hit.chunk} (relevance {relevance}) {hit.heading}\n   {hit.text[:200]}")


@kb_app.command("eval")
def evaluate(name: str, file: Annotated[Path, typer.Argument(exists=True, dir_okay=False)]) -> None:
    """hit@1/3/5 and MRR per mode and language for a JSONL of {"q", "expected_doc", "lang"?}."""
    items = []
    for number, line in enumerate(file.read_text(encoding="utf-8-sig").splitlines(), 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            items.append(EvalItem(q=str(item["q"]), expected_doc=str(item["expected_doc"]), **_lang(item)))
        except (ValueError, KeyError, TypeError) as exc:
            raise _fail(f'{file} line {number}: expected {{"q": ..., "expected_doc": ...}}') from exc
    modes: list[Mode] = ["dense", "lexical", "hybrid"]
    metrics = _with_kb(name, lambda ops, kb_id: ops.evaluate(EvaluateQuery(kb_id=kb_id, items=items, modes=modes))).metrics
    _remember(name, items, metrics)
    typer.echo(json.dumps(metrics, indent=2, ensure_ascii=False))


def _remember(name: str, items: list[EvalItem], metrics: dict[str, Any]) -> None:
    """Keep the evaluation: an advice bound to this knowledge base quotes the last one."""
    from service.knowledge_bases import evaluations, service

    settings = get_settings()
    with _session(settings) as session:
        rows = [item.model_dump(exclude_none=True) for item in items]
        evaluations.record(session, service.get_kb(session, settings.default_tenant, name), rows, metrics)


def _lang(item: dict[str, Any]) -> dict[str, str]:
    return {"lang": item["lang"]} if isinstance(item.get("lang"), str) and item["lang"] else {}


def _with_kb(name: str, action: Callable[[Operations, str], Result]) -> Result:
    from service.knowledge_bases import service

    settings = get_settings()
    with _session(settings) as session:
        try:
            kb_id = service.get_kb(session, settings.default_tenant, name).id
        except AdvisorError as exc:
            raise _fail(exc.message) from exc
    try:
        with operations(settings) as ops:
            return action(ops, kb_id)
    except AdvisorError as exc:
        raise _fail(exc.message) from exc
