"""`advisor keys create | list | revoke`: API keys per tenant, managed on the server's own database."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy.orm import Session

from service.errors import AdvisorError

keys_app = typer.Typer(help="API keys per tenant: create, list, revoke.", no_args_is_help=True, rich_markup_mode=None)


@contextmanager
def _session() -> Iterator[Session]:
    from service.config import get_settings
    from service.store.db import Database, upgrade

    settings = get_settings()
    settings.ensure_dirs()
    database = Database(settings.resolved_database_url)
    try:
        upgrade(database.engine)
        with database.session() as session:
            yield session
    finally:
        database.dispose()


@keys_app.command("create")
def create(
    tenant: Annotated[
        str, typer.Option(metavar="TENANT", help="The tenant the key acts for: everything it stores belongs to this tenant.")
    ],
    name: Annotated[str, typer.Option(metavar="LABEL", help="A label to tell keys apart in `advisor keys list`.")] = "",
) -> None:
    """Create a key and print it. It is shown this once: only a hash is stored."""
    from service.auth.service import issue

    try:
        with _session() as session:
            issued = issue(session, tenant, name)
    except AdvisorError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(2) from None
    # The key alone on stdout (KEY=$(advisor keys create ...)); the advice on stderr.
    typer.echo(issued.key)
    typer.echo(
        f"Key {issued.prefix} for tenant {issued.tenant!r}. Store it now: it is not kept and cannot be shown again.\n"
        "Send it as `Authorization: Bearer <key>`; revoke it with `advisor keys revoke " + issued.prefix + "`.",
        err=True,
    )


@keys_app.command("list")
def list_command(
    tenant: Annotated[str | None, typer.Option(metavar="TENANT", help="Only this tenant's keys.")] = None,
) -> None:
    """List keys: prefix, tenant, name, created, revoked.

    Never a key or its hash.
    """
    from service.auth.service import list_keys

    with _session() as session:
        keys = list_keys(session, tenant)
    if not keys:
        typer.echo(
            "no keys" + (f" for tenant {tenant!r}" if tenant else "") + "; create one with `advisor keys create --tenant T`"
        )
        return
    typer.echo(f"{'prefix':<14} {'tenant':<24} {'created':<20} {'status':<28} name")
    for key in keys:
        status = f"revoked {key.revoked_at:%Y-%m-%d %H:%M:%S}" if key.revoked_at else "active"
        typer.echo(f"{key.prefix:<14} {key.tenant:<24} {key.created_at:%Y-%m-%d %H:%M:%S}  {status:<28} {key.name}")


@keys_app.command("revoke")
def revoke_command(
    prefix: Annotated[str, typer.Argument(metavar="PREFIX", help="The key's prefix, as `advisor keys list` shows it.")],
) -> None:
    """Revoke a key.

    Running API processes stop accepting it within 30 seconds (their key cache).
    """
    from service.auth.service import CACHE_SECONDS, revoke

    try:
        with _session() as session:
            info = revoke(session, prefix)
    except AdvisorError as exc:
        typer.echo(f"error: {exc.message}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"revoked {info.prefix} (tenant {info.tenant!r}); running servers refuse it within {CACHE_SECONDS:.0f} s")
