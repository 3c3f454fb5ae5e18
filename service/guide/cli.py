"""`advisor rules check` and `advisor knowledge check`: the rules, the catalog and the guide validate."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, NoReturn

import typer

rules_app = typer.Typer(help="Validate the rules and their cases.", no_args_is_help=True)
knowledge_app = typer.Typer(help="Validate the provider catalog and the guide.", no_args_is_help=True)


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


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
