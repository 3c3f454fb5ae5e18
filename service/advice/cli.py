"""`advisor decide`: a verdict for a profile file, as a readable report or (``--json``) the verdict itself."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from pydantic import ValidationError


def decide(
    file: Annotated[
        str, typer.Argument(metavar="FILE", help="A JSON profile (examples/profiles/ has some), or - for standard input.")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as JSON, for scripts.")] = False,
    explain: Annotated[bool, typer.Option("--explain", hidden=True, help="The readable report (the default).")] = False,
    today: Annotated[
        dt.datetime | None,
        typer.Option(formats=["%Y-%m-%d"], metavar="DATE", help="Decide as of this day, YYYY-MM-DD (default: today)."),
    ] = None,
    lang: Annotated[str, typer.Option(metavar="LANG", help="Language of the texts: en or he.")] = "en",
) -> None:
    """Decide a strategy for a profile.

    Prints a readable report of the verdict, or the verdict as JSON with --json.
    """
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
    if lang not in ("en", "he"):
        _fail("--lang is en or he")
    from rules.validation import ProfileError

    try:
        verdict = run_decide(
            profile, default_catalog(), today=today.date() if today else dt.date.today(), lang="he" if lang == "he" else "en"
        )
    except ProfileError as exc:
        _fail(f"{file}: {exc.field}: {exc}")
    if as_json and not explain:
        typer.echo(verdict.model_dump_json(indent=2, by_alias=True))
        return
    from service.advice.report import explain_verdict

    typer.echo(explain_verdict(profile, verdict))


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
