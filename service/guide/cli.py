"""`advisor rules check` and `advisor knowledge check`: the rules, the catalog and the guide validate."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, NoReturn

import typer

from knowledge.checks import STALE_DAYS
from service.console import plural

rules_app = typer.Typer(help="Validate the rules and their cases.", no_args_is_help=True, rich_markup_mode=None)
knowledge_app = typer.Typer(help="Validate the provider catalog and the guide.", no_args_is_help=True, rich_markup_mode=None)


@rules_app.command("check")
def rules_check() -> None:
    """Validate every rule, its cases and its guide anchor."""
    from rules.checks import check_rules

    count, problems = check_rules()
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    if problems:
        raise typer.Exit(1)
    typer.echo(f"{plural(count, 'rule')} OK: every rule loads, cites a guide section in en and he, and passes its cases.")


@knowledge_app.command("check")
def knowledge_check(
    today: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], metavar="DATE", help="Check as of this day, YYYY-MM-DD (default: today)."),
    ] = None,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit 1 on any warning (CI uses the default, which never fails on a date).")
    ] = False,
    max_age_days: Annotated[
        int, typer.Option(metavar="DAYS", help="A fact whose as_of is older than this many days is stale.")
    ] = STALE_DAYS,
) -> None:
    """Report stale, retired or soon-ending facts.

    Looks through the catalog, the guide, the snippets and the service code.
    """
    from knowledge.checks import Finding, KnowledgeReport, knowledge_report
    from knowledge.loader import guide_problems, load_catalog, stale_entries
    from service.providers.checks import declared_defaults, service_texts

    day = today.date() if today else dt.date.today()
    try:
        catalog = load_catalog()
    except (ValueError, OSError) as exc:
        _fail(f"catalog does not load: {exc}")
    problems = guide_problems()
    for problem in problems:
        typer.echo(f"error: {problem}", err=True)
    report = knowledge_report(catalog, day, texts=service_texts(day, catalog), declared_defaults=declared_defaults(day, catalog))
    if max_age_days != STALE_DAYS:
        stale = [
            Finding("stale", s.where, f"as_of {s.as_of} is {s.age_days} days old; re-read its source", s.as_of)
            for s in stale_entries(catalog, day, max_age_days)
        ]
        report = KnowledgeReport(day, [f for f in report.findings if f.code != "stale"] + stale)
    for line in report.lines()[:-1]:
        typer.echo(line, err=True)
    counted = len(report.failing())
    summary = f"{plural(counted, 'finding')} that --strict counts, {plural(len(report.findings) - counted, 'note')}"
    typer.echo(
        f"knowledge check on {day}: {plural(len(catalog.providers), 'provider')}, catalog as_of {catalog.as_of}; {summary}"
        + ("" if strict else " (not strict: dates never fail this run; --strict does)")
    )
    if problems:
        raise typer.Exit(1)
    raise typer.Exit(report.exit_code(strict))


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(2)
