"""`advisor ...`: serve, decide, rules check, knowledge check, data ..."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError

from service.artifacts.prompt_cli import prompt_app
from service.auth.cli import keys_app
from service.datasets.cli import data_app
from service.errors import AdvisorError
from service.knowledge_bases.cli import _worker_running, kb_app

app = typer.Typer(help="Tuning Advisor: should we prompt, retrieve (RAG), or fine-tune?", no_args_is_help=True)
rules_app = typer.Typer(help="Validate the rules and their cases.", no_args_is_help=True)
knowledge_app = typer.Typer(help="Validate the provider catalog and the guide.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")
app.add_typer(knowledge_app, name="knowledge")
app.add_typer(data_app, name="data")
app.add_typer(kb_app, name="kb")
app.add_typer(prompt_app, name="prompt")
app.add_typer(keys_app, name="keys")


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

    if host is not None:
        # The app reads its settings from the environment, and auth turns on beyond loopback: let it see this host.
        os.environ["ADVISOR_HOST"] = host
        get_settings.cache_clear()
    settings = get_settings()
    child = None
    if worker and not _worker_running(settings):
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


@app.command()
def decide(
    file: Annotated[str, typer.Argument(help="A JSON profile, or - for standard input")],
    explain: Annotated[bool, typer.Option("--explain", help="A readable report instead of JSON")] = False,
) -> None:
    """Decide a strategy for a profile and print the verdict."""
    from knowledge.loader import default_catalog
    from rules.engine import decide as run_decide
    from rules.facts import Profile

    raw = sys.stdin.read() if file == "-" else _read(Path(file))
    try:
        data = json.loads(raw)
        profile = Profile.model_validate(data.get("profile", data) if isinstance(data, dict) else data)
    except json.JSONDecodeError as exc:
        _fail(f"{file}: not valid JSON (line {exc.lineno}, column {exc.colno}): {exc.msg}")
    except ValidationError as exc:
        details = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'profile'}: {e['msg']}" for e in exc.errors())
        _fail(f"{file}: not a valid profile: {details}")
    verdict = run_decide(profile, default_catalog(), today=dt.date.today())
    if not explain:
        typer.echo(verdict.model_dump_json(indent=2, by_alias=True))
        return
    from service.report import explain_verdict

    typer.echo(explain_verdict(profile, verdict))


@rules_app.command("check")
def rules_check() -> None:
    """Validate every rule, its cases and its guide anchor."""
    from rules.checks import check_rules

    count, problems = check_rules()
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{count} rules OK: every rule loads, cites a guide section in en and he, and passes its cases.")


@knowledge_app.command("check")
def knowledge_check(
    max_age_days: Annotated[int, typer.Option(help="Warn about entries older than this")] = 180,
) -> None:
    """Validate the catalog and guide; warn about stale entries."""
    from knowledge.loader import guide_problems, load_catalog, stale_entries

    try:
        catalog = load_catalog()
    except (ValueError, OSError) as exc:
        _fail(f"catalog does not load: {exc}")
    problems = guide_problems()
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    stale = stale_entries(catalog, dt.date.today(), max_age_days)
    for entry in stale:
        typer.echo(f"warning: {entry.where} is {entry.age_days} days old (as_of {entry.as_of}); re-check its source", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"catalog OK: {len(catalog.providers)} providers, as_of {catalog.as_of}; {len(stale)} stale entries")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror}")
    except UnicodeDecodeError:
        _fail(f"{path} is not UTF-8 text")


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
