"""Taking back expired leases: the one sweep behind jobs (service/store/jobs.py) and experiments (experiment_leases.py).

A row held by a worker carries ``owner`` and ``lease_until``; a worker that stops renewing loses it. The sweep queues
such a row again, or fails it once it was started ``max_attempts`` times. Each change is a compare-and-set on the
expired lease, so two sweeps at once, or a claim between the read and the write, never undo each other.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import or_, select, update

from service.store.db import Database
from service.store.models import utcnow

log = logging.getLogger("service.worker")


def expired(row: Any, now: dt.datetime) -> Any:
    """Running with its lease run out (or with none: a row from before leases)."""
    return (row.state == "running") & or_(row.lease_until.is_(None), row.lease_until < now)


def renew(database: Database, row: Any, row_id: str, owner: str, lease_seconds: float) -> bool:
    """Extend ``owner``'s lease on a running row; False when it is no longer theirs (it ran out and was taken back)."""
    with database.session() as session:
        renewed = session.execute(
            update(row)
            .where(row.id == row_id, row.owner == owner, row.state == "running")
            .values(lease_until=utcnow() + dt.timedelta(seconds=lease_seconds))
        )
        session.commit()
        return bool(renewed.rowcount == 1)  # type: ignore[attr-defined]


def release_expired(
    database: Database,
    row: Any,
    max_attempts: int,
    *,
    kind: str,
    exhausted: Callable[[int], dict[str, str]],
    failed: Callable[[dt.datetime], dict[str, Any]] = lambda _now: {},
) -> list[str]:
    """Queue again every ``row`` (a model with id, state, owner, lease_until, attempts) whose lease ran out.

    Returns the ids queued again (each needs a queue message). One started ``max_attempts`` times fails with
    ``exhausted(attempts)`` as its error, plus ``failed(now)``'s columns.
    """
    now = utcnow()
    requeued: list[str] = []
    with database.session() as session:
        found = session.execute(select(row.id, row.attempts, row.owner).where(expired(row, now)).order_by(row.created_at))
        for row_id, attempts, owner in found.all():
            values: dict[str, Any] = {"owner": None, "lease_until": None, "updated_at": now, "state": "queued"}
            if attempts >= max_attempts:
                values |= {"state": "failed", "error": exhausted(attempts), **failed(now)}
            changed = session.execute(update(row).where(row.id == row_id, expired(row, now)).values(**values))
            session.commit()
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            if values["state"] == "queued":
                log.warning("%s %s: the lease of %s ran out; queuing it again", kind, row_id, owner)
                requeued.append(row_id)
            else:
                log.warning("%s %s failed: its worker stopped %d times while running it", kind, row_id, attempts)
    return requeued
