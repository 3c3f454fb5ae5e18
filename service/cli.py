"""`advisor ...`: serve, decide, rules check, knowledge check, data ..."""

from __future__ import annotations

import logging
import os
import signal
from typing import Annotated, Any, NoReturn

import typer

from service.advice.cli import decide
from service.auth.cli import keys_app
from service.console import Advisor, quiet_model_loading
from service.datasets.cli import data_app
from service.errors import AdvisorError
from service.experiments.cli import experiment_app
from service.guide.cli import knowledge_app, rules_app
from service.knowledge_bases.cli import kb_app
from service.prompts.cli import prompt_app

quiet_model_loading()  # before any command imports sentence-transformers
app = Advisor(
    help="Tuning Advisor: should we prompt, retrieve (RAG), or fine-tune?",
    no_args_is_help=True,
    rich_markup_mode=None,  # plain help: no type labels, nothing cut at 80 columns (tests/test_cli.py)
    pretty_exceptions_enable=False,
)
app.add_typer(rules_app, name="rules")
app.add_typer(knowledge_app, name="knowledge")
app.add_typer(data_app, name="data")
app.add_typer(kb_app, name="kb")
app.add_typer(prompt_app, name="prompt")
app.add_typer(keys_app, name="keys")
app.add_typer(experiment_app, name="experiment")
app.command()(decide)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(metavar="ADDRESS", help="Bind address (default ADVISOR_HOST or 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(metavar="PORT", help="Port (default ADVISOR_PORT or 8000).")] = None,
    worker: Annotated[bool, typer.Option(help="Also start the worker process (ingestion, search).")] = True,
) -> None:
    """Serve the page and the HTTP API, with the worker.

    The page is at /, the API's docs at /docs; the worker process (ingestion, search) starts beside it.
    """
    import uvicorn

    from service.config import get_settings
    from service.worker.client import worker_answers

    if host is not None:
        # The app reads its settings from the environment, and auth turns on beyond loopback: let it see this host.
        os.environ["ADVISOR_HOST"] = host
        get_settings.cache_clear()
    settings = get_settings()
    supervisor = None
    if worker and not worker_answers(settings):
        from service.ops.observability import configure_logging
        from service.worker.supervisor import Supervisor

        configure_logging(settings)  # the supervisor's lines look like the API's
        # The worker is its own process: embeddings never share the API's core or event loop. A dead one is restarted.
        supervisor = Supervisor(settings)
        supervisor.start()
        # uvicorn re-raises the SIGTERM it handled once it has shut down: exit through `finally`, which ends the worker.
        signal.signal(signal.SIGTERM, _exit_quietly)
    try:
        # proxy_headers off: uvicorn would trust X-Forwarded-For from loopback; the app reads it from
        # ADVISOR_TRUSTED_PROXIES only (service/auth/gate.py).
        config = uvicorn.Config(
            "service.main:create_app",
            factory=True,
            host=host or settings.host,
            port=port or settings.port,
            proxy_headers=False,
            timeout_keep_alive=settings.keep_alive_seconds,
        )
        _announcing_server()(config).run()
    finally:
        if supervisor is not None:
            supervisor.stop()


def _exit_quietly(_signum: int, _frame: object) -> None:
    raise SystemExit(0)


def browse_url(host: str, port: int) -> str:
    """Where a person on this machine opens a server bound to ``host``: a wildcard address is reached on loopback."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    return f"http://[{shown}]:{port}" if ":" in shown else f"http://{shown}:{port}"


def _announcing_server() -> type:
    import uvicorn

    class AnnouncingServer(uvicorn.Server):
        """Says where to open the page and the API docs once the socket listens (never before, nor if binding fails)."""

        async def startup(self, sockets: list[Any] | None = None) -> None:
            await super().startup(sockets=sockets)
            if not self.started or not self.servers:
                return
            port = self.servers[0].sockets[0].getsockname()[1]
            url = browse_url(str(self.config.host), port)
            logging.getLogger("service.serve").info(
                "Tuning Advisor is up: open %s/ for the page, %s/docs for the API (Ctrl-C stops it)", url, url
            )

    return AnnouncingServer


@app.command("worker")
def worker_command(threads: Annotated[int, typer.Option(min=1, max=8, metavar="N", help="Jobs run at once.")] = 1) -> None:
    """Run the worker (what `serve` starts beside the API).

    It owns the vector store, ingests documents and answers searches for the API.
    """
    from service.config import get_settings
    from service.worker.main import run_worker

    try:
        run_worker(get_settings(), threads=threads)
    except AdvisorError as exc:
        _fail(exc.message)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
