"""`advisor ...`: serve, decide, rules check, knowledge check, data ..."""

from __future__ import annotations

import contextlib
import os
import sys
from typing import Annotated, NoReturn

import typer

from service.advice.cli import decide
from service.auth.cli import keys_app
from service.datasets.cli import data_app
from service.errors import AdvisorError
from service.guide.cli import knowledge_app, rules_app
from service.knowledge_bases.cli import kb_app
from service.prompts.cli import prompt_app

app = typer.Typer(help="Tuning Advisor: should we prompt, retrieve (RAG), or fine-tune?", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(knowledge_app, name="knowledge")
app.add_typer(data_app, name="data")
app.add_typer(kb_app, name="kb")
app.add_typer(prompt_app, name="prompt")
app.add_typer(keys_app, name="keys")
app.command()(decide)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default ADVISOR_HOST or 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default ADVISOR_PORT or 8000)")] = None,
    worker: Annotated[bool, typer.Option(help="Also start the worker process (ingestion, search)")] = True,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs), with the worker beside it."""
    import subprocess

    import uvicorn

    from service.config import get_settings
    from service.worker.client import worker_answers

    if host is not None:
        # The app reads its settings from the environment, and auth turns on beyond loopback: let it see this host.
        os.environ["ADVISOR_HOST"] = host
        get_settings.cache_clear()
    settings = get_settings()
    child = None
    if worker and not worker_answers(settings):
        # The worker is its own process: embeddings never share the API's core or event loop.
        child = subprocess.Popen([sys.executable, "-m", "service.worker"], preexec_fn=_die_with_parent)
    try:
        uvicorn.run("service.main:create_app", factory=True, host=host or settings.host, port=port or settings.port)
    finally:
        if child is not None:
            child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()


def _die_with_parent() -> None:
    """Linux: the worker gets SIGTERM if `advisor serve` dies, even by SIGKILL (no orphaned store owner)."""
    import ctypes
    import signal

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


@app.command("worker")
def worker_command(threads: Annotated[int, typer.Option(min=1, max=8, help="Jobs run at once")] = 1) -> None:
    """Run the worker: owns the vector store, ingests documents, answers searches for the API."""
    from service.config import get_settings
    from service.worker.main import run_worker

    try:
        run_worker(get_settings(), threads=threads)
    except AdvisorError as exc:
        _fail(exc.message)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
