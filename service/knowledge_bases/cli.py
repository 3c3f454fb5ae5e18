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
from service.console import Progress, indented, plural
from service.errors import AdvisorError
from service.knowledge_bases.defaults import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_TOKENS
from service.worker.client import WorkerClient
from service.worker.local import operations
from service.worker.schemas import EvalItem, EvaluateQuery, Mode, Operations, SearchQuery

Result = TypeVar("Result")

kb_app = typer.Typer(help="Knowledge bases for RAG: create, ingest, query, eval.", no_args_is_help=True, rich_markup_mode=None)
NameArg = Annotated[str, typer.Argument(metavar="NAME", help="The knowledge base's name (or id).")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of the summary.")]


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
    name: Annotated[str, typer.Argument(metavar="NAME", help="A name to refer to it by.")],
    embedding_model: Annotated[
        str | None, typer.Option(metavar="MODEL", help="A sentence-transformers name or path (default: the bundled MiniLM).")
    ] = None,
    chunk_tokens: Annotated[
        int, typer.Option(min=50, max=2000, metavar="N", help="Tokens per chunk, in the embedding model's tokens.")
    ] = DEFAULT_CHUNK_TOKENS,
    chunk_overlap: Annotated[
        int, typer.Option(min=0, max=1000, metavar="N", help="Tokens shared by neighbouring chunks.")
    ] = DEFAULT_CHUNK_OVERLAP,
    as_json: JsonOption = False,
) -> None:
    """Create a knowledge base."""
    from service.knowledge_bases import service

    settings = get_settings()
    with _session(settings) as session:
        try:
            row = service.create_kb(session, settings.default_tenant, name, embedding_model, chunk_tokens, chunk_overlap)
        except AdvisorError as exc:
            raise _fail(exc.message) from exc
        if as_json:
            typer.echo(json.dumps({"id": row.id, "name": row.name}))
            return
        typer.echo(
            f"Created knowledge base {row.name} ({row.id}): chunks of {chunk_tokens} tokens, {chunk_overlap} shared.\n"
            f"Add files with: advisor kb ingest {row.name} FILE..."
        )


@kb_app.command("ingest")
def ingest(
    name: NameArg,
    paths: Annotated[
        list[Path],
        typer.Argument(
            exists=True, dir_okay=False, readable=True, metavar="FILE", help="One or more .txt .md .html .pdf or .jsonl files."
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Ingest files and wait for the job, showing its progress.

    With `advisor serve` (or `advisor worker`) running, the worker that already holds the model does the work.
    With none, this command loads the embedding model itself first, which takes several seconds.
    """
    from service.knowledge_bases import service

    started = time.monotonic()
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
        job_id, kb_name = job.id, kb.name
    try:
        with operations(settings) as ops:
            # A running worker takes the job from the queue; with none, this process runs it on the store it owns.
            runner = None
            if not isinstance(ops, WorkerClient):
                runner = threading.Thread(target=_ingest_here, args=(ops, job_id), daemon=True)
                runner.start()
            result = _wait(settings, job_id, here=runner is not None, quiet=as_json)
            if runner is not None:
                runner.join()
    except AdvisorError as exc:
        raise _fail(exc.message) from exc
    if as_json:
        typer.echo(json.dumps(result))
    else:
        typer.echo(_ingest_summary(kb_name, len(paths), result, time.monotonic() - started))
    if result["state"] != "succeeded":
        raise typer.Exit(1)


def _ingest_summary(kb: str, files: int, job: dict[str, Any], seconds: float) -> str:
    if job["state"] != "succeeded":
        return f"Ingestion into {kb} failed: {job.get('error') or 'see the worker log'} (job {job['job']})."
    result = job.get("result") or {}
    lines = [
        f"Ingested {plural(files, 'file')} into {kb} in {seconds:.1f} s: {plural(result.get('embedded', 0), 'chunk')} embedded, "
        f"{result.get('skipped', 0):,} unchanged, {result.get('removed', 0):,} replaced."
    ]
    for error in result.get("errors") or []:
        where = f" line {error['line']}" if error.get("line") else ""
        lines.append(f"  skipped {error.get('file')}{where}: {error.get('message')}")
    return "\n".join(lines)


def _ingest_here(ops: Operations, job_id: str) -> None:
    from service.knowledge_bases.tasks import ingest as run
    from service.worker.operations import StoreOperations

    assert isinstance(ops, StoreOperations)
    run(ops.runtime, job_id)


def _wait(settings: Settings, job_id: str, *, here: bool, quiet: bool) -> dict[str, Any]:
    from service.store.models import JobRow

    progress = Progress("Ingesting") if not quiet else None
    try:
        with _session(settings) as session:
            while True:
                session.expire_all()
                job = session.get(JobRow, job_id)
                if job is None:
                    raise _fail(f"job {job_id} disappeared")
                if job.state in ("succeeded", "failed"):
                    return {"job": job.id, "state": job.state, "result": job.result, "error": job.error}
                if progress is not None:
                    if job.total and job.done:
                        progress.update(job.done, job.total)
                    elif job.state == "queued" and not here:
                        progress.waiting("waiting for the worker to take the job")
                    else:
                        progress.waiting("loading the embedding model" if here else "reading and chunking the files")
                time.sleep(0.2)
    finally:
        if progress is not None:
            progress.close()


@kb_app.command("query")
def query(
    name: NameArg,
    question: Annotated[str, typer.Argument(metavar="QUESTION", help="What to search for.")],
    k: Annotated[int, typer.Option(min=1, max=50, metavar="N", help="How many hits.")] = 5,
    mode: Annotated[str, typer.Option(metavar="MODE", help="dense, lexical (BM25) or hybrid (both, fused).")] = "hybrid",
    as_json: Annotated[bool, typer.Option("--json", help='Print {"hits": [...], "no_good_match": ...} for scripts.')] = False,
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
    if not found.hits:
        typer.echo(f"No hits in {name}; is anything ingested? (advisor kb ingest {name} FILE...)")
        return
    if unmatched:
        typer.echo("No good match: nothing here is likely to answer this question.")
    for rank, hit in enumerate(found.hits, 1):
        heading = f"  {hit.heading}" if hit.heading else ""
        relevance = "?" if hit.relevance is None else f"{hit.relevance:.2f}"
        typer.echo(f"{rank}. {hit.doc} #{hit.chunk}  relevance {relevance}{heading}")
        typer.echo(indented(hit.text, limit=300))


@kb_app.command("eval")
def evaluate(
    name: NameArg,
    file: Annotated[
        Path,
        typer.Argument(
            exists=True, dir_okay=False, metavar="FILE", help='JSONL of {"q": ..., "expected_doc": ..., "lang": ...}.'
        ),
    ],
    as_json: JsonOption = False,
) -> None:
    """Measure retrieval: hit@1/3/5 and MRR per search mode and language.

    FILE holds questions, each with the document it should find (and optionally its language).
    The evaluation is kept: an advice bound to this knowledge base quotes the last one.
    """
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
    if as_json:
        typer.echo(json.dumps(metrics, indent=2, ensure_ascii=False))
        return
    count = next(iter(metrics.values()), {}).get("n", len(items))
    typer.echo(f"{name}: {plural(int(count), 'question')}")
    typer.echo(f"{'mode':<8} {'lang':<5} {'n':>4} {'hit@1':>6} {'hit@3':>6} {'hit@5':>6} {'MRR':>6}")
    for mode, row in metrics.items():
        rows = [("all", row), *sorted((row.get("by_language") or {}).items())]
        for lang, figures in rows:
            scores = " ".join(f"{float(figures.get(key, 0)):>6.2f}" for key in ("hit@1", "hit@3", "hit@5", "mrr"))
            typer.echo(f"{mode:<8} {lang:<5} {int(figures.get('n', 0)):>4} {scores}")


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
