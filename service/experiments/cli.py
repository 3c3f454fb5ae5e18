"""`advisor experiment run FILE.jsonl ...` and `advisor experiment show ID`: the experiment in this process.

`run` stores the experiment in the server's database (the default tenant) and runs it here, with the same
runner the worker uses, so `show` and GET /v1/experiments/{id} read the same result afterwards.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from service.config import Settings, get_settings
from service.errors import AdvisorError

experiment_app = typer.Typer(
    help="Pilot candidate strategies on your own evaluation set.", no_args_is_help=True, rich_markup_mode=None
)
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts instead of the summary.")]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(2)


@contextlib.contextmanager
def _database(settings: Settings) -> Iterator[Any]:
    from service.store.db import Database, upgrade

    database = Database(settings.resolved_database_url)
    upgrade(database.engine)
    try:
        yield database
    finally:
        database.dispose()


def _items(path: Path) -> list[dict[str, Any]]:
    items = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            items.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise _fail(f'{path}:{number}: not JSON ({exc.msg}); each line is {{"input": ..., "expected": ...}}') from exc
    return items


def _summary(report: Any) -> str:
    lines = [f"Experiment {report.id}: {report.state}, {report.progress['done']}/{report.progress['total']} calls"]
    for c in report.candidates:
        if c.accuracy is None:
            lines.append(f"  {c.name:<12} no item scored yet")
            continue
        cost = "cost unknown" if c.cost_usd is None else f"${c.cost_usd:.4f}"
        latency = "" if c.latency_ms_p50 is None else f", p50 {c.latency_ms_p50:.0f} ms"
        graders = ", ".join(f"{name} {count}" for name, count in sorted(c.graders.items()))
        lines.append(
            f"  {c.name:<12} {c.accuracy:.2f} [{c.ci_low:.2f}, {c.ci_high:.2f}] on {c.n} items ({graders}), {cost}{latency}"
        )
    if report.error:
        lines.append(f"  stopped: {report.error['message']} (resume with POST /v1/experiments/{report.id}/resume)")
    return "\n".join(lines)


@experiment_app.command("run")
def run(
    file: Annotated[
        Path, typer.Argument(metavar="FILE.jsonl", exists=True, dir_okay=False, help="One {input, expected} per line.")
    ],
    target_provider: Annotated[str, typer.Option(metavar="NAME", help="openai, anthropic, google or openai_compatible.")],
    model: Annotated[str, typer.Option(metavar="MODEL", help="The model to call, as its server names it.")],
    base_url: Annotated[str | None, typer.Option(metavar="URL", help="openai_compatible: the server's /v1 base URL.")] = None,
    candidates: Annotated[
        str, typer.Option(metavar="LIST", help="Comma-separated: zero_shot, few_shot, or ft:... for a tuned model.")
    ] = "zero_shot",
    grader: Annotated[
        str, typer.Option(metavar="NAME", help="exact, label, json_schema, regex, numeric or embedding.")
    ] = "exact",
    advice: Annotated[str | None, typer.Option(metavar="ID", help="few_shot: the advice whose prompt to try.")] = None,
    system: Annotated[str | None, typer.Option(metavar="TEXT", help="Instructions for zero_shot.")] = None,
    max_cost: Annotated[float | None, typer.Option(metavar="USD", help="Refuse when the estimate is above this.")] = None,
    confirm_cost: Annotated[bool, typer.Option("--confirm-cost", help="Run even when the estimate is over the budget.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Run candidates on FILE.jsonl; print accuracy with 95% intervals.

    The estimate comes first; over --max-cost or ADVISOR_EXPERIMENT_BUDGET_USD it stops unless --confirm-cost.
    """
    from service.experiments import service
    from service.experiments.runner import run_experiment
    from service.experiments.schemas import ExperimentRequest

    wanted = [c.strip() for c in candidates.split(",") if c.strip()]
    body = {
        "items": _items(file),
        "target": {"provider": target_provider, "model": model, **({"base_url": base_url} if base_url else {})},
        "candidates": [c if c in ("zero_shot", "few_shot", "grounded") else {"tuned_model": c} for c in wanted],
        "grader": grader,
        "advice_id": advice,
        "system": system,
        "max_cost_usd": max_cost,
        "confirm_cost": confirm_cost,
    }
    try:
        request = ExperimentRequest.model_validate({k: v for k, v in body.items() if v is not None})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise _fail(f"{where}: {first['msg']}" if where else first["msg"]) from exc
    settings = get_settings()
    with _database(settings) as database:
        try:
            with database.session() as session:
                accepted = service.create_experiment(session, settings.default_tenant, request, settings, _today())
            if not as_json:
                estimate = "unknown" if accepted.estimate_usd is None else f"${accepted.estimate_usd:.4f}"
                typer.echo(f"Running {accepted.total} calls (estimated cost {estimate}) ...", err=True)
            run_experiment(database, accepted.id, settings, similarity=_similarity(settings, request))
            with database.session() as session:
                report = service.get_experiment(session, settings.default_tenant, accepted.id)
        except AdvisorError as exc:
            raise _fail(exc.message) from exc
    typer.echo(report.model_dump_json() if as_json else _summary(report))
    if report.state != "succeeded":
        raise typer.Exit(1)


@experiment_app.command("show")
def show(experiment_id: Annotated[str, typer.Argument(metavar="ID")], as_json: JsonOption = False) -> None:
    """Show an experiment: accuracy, intervals, cost, latency."""
    from service.experiments import service

    settings = get_settings()
    with _database(settings) as database, database.session() as session:
        try:
            report = service.get_experiment(session, settings.default_tenant, experiment_id)
        except AdvisorError as exc:
            raise _fail(exc.message) from exc
    typer.echo(report.model_dump_json() if as_json else _summary(report))


def _today() -> Any:
    import datetime as dt

    return dt.date.today()


def _similarity(settings: Settings, request: Any) -> Any:
    """The bundled model's cosine similarity, loaded only when some item is graded by embedding."""
    graders = [request.grader] + [item.grader for item in request.items or [] if item.grader is not None]
    if not any(g == "embedding" or getattr(g, "type", None) == "embedding" for g in graders):
        return None
    from service.embeddings.model import Embedder
    from service.experiments.graders import cosine

    embedder = Embedder(settings.embedding_model)

    def similarity(a: str, b: str) -> float:
        first, second = embedder.encode([a, b])
        return cosine(list(first), list(second))

    return similarity
