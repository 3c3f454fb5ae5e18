"""``advisor data check|convert|sweep``: validate a training file, convert it between formats, sweep unused uploads."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from service.console import plural
from service.datasets.convert import convert_file
from service.datasets.formats import severity
from service.datasets.schemas import TARGET_FORMATS, DatasetReport
from service.datasets.validate import LOSS_WORDS as LOSSES
from service.datasets.validate import validate_file
from service.errors import AdvisorError

data_app = typer.Typer(help="Check fine-tuning data; convert it between formats.", no_args_is_help=True, rich_markup_mode=None)
PROGRESS_BYTES = 5 * 1024 * 1024  # smaller files finish before a bar is worth drawing

FileArg = Annotated[
    Path,
    typer.Argument(exists=True, dir_okay=False, readable=True, metavar="FILE", help="JSONL, JSON-array or CSV training file."),
]


def _fail(error: AdvisorError) -> typer.Exit:
    typer.echo(f"error: {error.message}", err=True)
    return typer.Exit(2)


def _check(file: Path, provider: str, model: str | None, show_progress: bool) -> DatasetReport:
    size = file.stat().st_size
    if not show_progress or size < PROGRESS_BYTES:
        return validate_file(file, provider=provider, model=model)
    with typer.progressbar(length=size, label=f"Checking {file.name}", file=sys.stderr) as bar:
        done = [0]

        def advance(position: int) -> None:
            bar.update(position - done[0])
            done[0] = position

        return validate_file(file, provider=provider, model=model, progress=advance)


def _render(file: Path, report: DatasetReport) -> str:
    stats = report.tokens
    kind = "JSON array" if report.finding_counts.get("json_array") else report.file_type
    lines = [
        f"{file}: {report.format or 'unrecognized format'} ({kind}), "
        f"{plural(report.examples, 'valid example')} in {plural(report.lines, 'line')}",
    ]
    if report.format_reason:
        lines.append(f"recognized by: {report.format_reason}")
    target = f"target: {report.provider} {report.model or ''}".rstrip()
    lines.append(target + (f", checked as {report.target_format}" if report.target_format else ""))
    label = stats.tokenizer.removesuffix(" (estimate)")
    lines.append(
        f"tokens per example ({label}, {'exact' if stats.exact else 'estimate'}): "
        f"min {stats.min:,}, median {stats.median:,}, p95 {stats.p95:,}, max {stats.max:,}; total {stats.total:,}"
    )
    parts = [f"tool definitions {stats.tool_definition_tokens:,}"] if stats.tool_definition_tokens else []
    parts += [f"{plural(stats.media_items, 'media item')} {stats.media_tokens:,}"] if stats.media_items else []
    if parts:
        lines.append(f"  of which {', '.join(parts)}")
    for part in stats.estimated_parts:
        lines.append(f"  estimated: {part}")
    if report.epochs is not None:
        usd = report.estimated_cost_usd
        cost = (
            ""
            if usd is None
            else f", estimated training cost ${usd:,.2f}"
            if usd >= 1
            else f", estimated training cost ${usd:.4f}"
        )
        lines.append(f"default epochs: {report.epochs}{cost}")
    for finding in report.findings:
        where = f"line {finding.line}" if finding.line is not None else "file"
        lines.append(f"  {finding.severity:<7} {where:<11} {finding.code}: {finding.message}")
    if report.findings_truncated:
        counts = ", ".join(f"{code} {n:,}" for code, n in sorted(report.finding_counts.items()))
        lines.append(f"  (only the first findings of each code are listed; all counts: {counts})")
    errors = sum(n for code, n in report.finding_counts.items() if severity(code) == "error")
    warnings = sum(report.finding_counts.values()) - errors
    verdict = "OK: no errors" if report.ok else f"NOT OK: {plural(errors, 'error')}"
    lines.append(f"{verdict}, {plural(warnings, 'warning')}")
    return "\n".join(lines)


@data_app.command()
def check(
    file: FileArg,
    provider: Annotated[str, typer.Option(metavar="PROVIDER", help="openai, google, anthropic or open_weights.")] = "openai",
    model: Annotated[
        str | None, typer.Option(metavar="MODEL", help="Model to tune; the provider's default when omitted.")
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Validate a training file; exit 1 when it has errors."""
    try:
        report = _check(file, provider, model, show_progress=not json_output)
    except AdvisorError as error:
        raise _fail(error) from None
    typer.echo(report.model_dump_json(indent=2) if json_output else _render(file, report))
    raise typer.Exit(0 if report.ok else 1)


@data_app.command()
def convert(
    file: FileArg,
    to: Annotated[str, typer.Option("--to", metavar="FORMAT", help=f"One of: {', '.join(TARGET_FORMATS)}.")],
    out: Annotated[
        Path, typer.Option("-o", "--out", file_okay=False, metavar="DIR", help="Directory for train.jsonl and validation.jsonl.")
    ],
    validation_fraction: Annotated[
        float, typer.Option(min=0.0, max=0.99, metavar="SHARE", help="Share held out for validation.")
    ] = 0.1,
    seed: Annotated[int, typer.Option(metavar="N", help="Seed of the deterministic split.")] = 42,
) -> None:
    """Convert a training file to another format.

    The valid examples are deduplicated and split (seeded) into train and validation files.
    """
    try:
        result = convert_file(file, to, out, validation_fraction=validation_fraction, seed=seed)
    except AdvisorError as error:
        raise _fail(error) from None
    typer.echo(f"train: {plural(result.train, 'example')} -> {result.train_path}")
    if result.validation_path is not None:
        typer.echo(f"validation: {plural(result.validation, 'example')} -> {result.validation_path}")
    typer.echo(f"dropped {plural(result.dropped, 'invalid or unconvertible line')}, {plural(result.duplicates, 'duplicate')}")
    for finding in result.findings:
        typer.echo(f"  dropped line {finding.line}: {finding.code}: {finding.message}")
    if sum(result.finding_counts.values()) > len(result.findings):
        typer.echo(
            f"  (first findings only; all counts: {', '.join(f'{c} {n:,}' for c, n in sorted(result.finding_counts.items()))})"
        )
    for loss, n in sorted(result.losses.items()):
        typer.echo(f"lossy: {plural(n, 'line')} {LOSSES.get(loss, loss)}")
    if result.train == 0:
        typer.echo("error: nothing to train on; run `advisor data check` on the file.", err=True)
        raise typer.Exit(1)


@data_app.command()
def sweep(
    ttl_hours: Annotated[
        int | None, typer.Option(min=0, metavar="HOURS", help="Age past which an unused dataset goes; ADVISOR_DATASET_TTL_HOURS.")
    ] = None,
) -> None:
    """Delete old uploads no tuning job uses.

    Datasets older than ADVISOR_DATASET_TTL_HOURS that no tuning job refers to go; the server does this hourly.
    """
    from service.config import get_settings
    from service.datasets.service import sweep_abandoned, sweep_orphans
    from service.store.db import Database, upgrade

    settings = get_settings()
    settings.ensure_dirs()
    database = Database(settings.resolved_database_url)
    try:
        upgrade(database.engine)
        removed = sweep_abandoned(database, settings.dataset_ttl_hours if ttl_hours is None else ttl_hours)
        orphans = sweep_orphans(database, settings.data_dir)
    finally:
        database.dispose()
    typer.echo(f"deleted {plural(len(removed), 'unused dataset')}, {plural(len(orphans), 'orphaned upload folder')}")
