"""Claiming experiments: one runner at a time, under a lease like a job's (``service/store/jobs.py``).

A queue message only says "run this experiment"; a message can come twice (a starting worker resumes what
it finds unfinished, the sweep re-sends, a consumer with several threads takes both). Whoever runs it first
claims it with a compare-and-set, so two threads or two workers never call the same items. The claim holds a
lease (ADVISOR_JOB_LEASE_SECONDS) its runner renews; a runner that lost its lease stops. A run whose lease ran
out (its worker was killed) is queued again by the sweep and resumed from its stored results, and after
ADVISOR_JOB_MAX_ATTEMPTS starts it fails with ``experiment_attempts_exhausted``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from sqlalchemy import or_, select, update

from service.store.db import Database
from service.store.models import ExperimentRow, utcnow

log = logging.getLogger("service.worker")


def _expired(now: dt.datetime) -> Any:
    return (ExperimentRow.state == "running") & or_(ExperimentRow.lease_until.is_(None), ExperimentRow.lease_until < now)


def claim(database: Database, experiment_id: str, owner: str, lease_seconds: float) -> bool:
    """Take a queued experiment, or a running one whose lease ran out; False when someone else holds it or it ended."""
    now = utcnow()
    claimable = (ExperimentRow.state == "queued") | _expired(now)
    with database.session() as session:
        claimed = session.execute(
            update(ExperimentRow)
            .where(ExperimentRow.id == experiment_id, claimable)
            .values(
                state="running",
                owner=owner,
                lease_until=now + dt.timedelta(seconds=lease_seconds),
                attempts=ExperimentRow.attempts + 1,
                error=None,
                updated_at=now,
            )
        )
        session.commit()
        return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def renew(database: Database, experiment_id: str, owner: str, lease_seconds: float) -> bool:
    """Extend the lease; False when the run is no longer this owner's (its lease ran out and it was taken back)."""
    now = utcnow()
    with database.session() as session:
        renewed = session.execute(
            update(ExperimentRow)
            .where(ExperimentRow.id == experiment_id, ExperimentRow.owner == owner, ExperimentRow.state == "running")
            .values(lease_until=now + dt.timedelta(seconds=lease_seconds))
        )
        session.commit()
        return bool(renewed.rowcount == 1)  # type: ignore[attr-defined]


def finish(database: Database, experiment_id: str, owner: str, state: str, error: dict[str, Any] | None) -> bool:
    """Record how the run ended and release it; False when it was not this owner's any more (nothing is written)."""
    with database.session() as session:
        finished = session.execute(
            update(ExperimentRow)
            .where(ExperimentRow.id == experiment_id, ExperimentRow.owner == owner, ExperimentRow.state == "running")
            .values(state=state, error=error, owner=None, lease_until=None, updated_at=utcnow())
        )
        session.commit()
        return bool(finished.rowcount == 1)  # type: ignore[attr-defined]


def release_expired(database: Database, max_attempts: int) -> list[str]:
    """Queue again every running experiment whose lease ran out; returns those ids (each needs a queue message).

    One started ``max_attempts`` times fails instead. Each change is a compare-and-set on the expired lease,
    so two sweeps, or a claim between the read and the write, never undo each other.
    """
    now = utcnow()
    requeued: list[str] = []
    with database.session() as session:
        found = session.execute(
            select(ExperimentRow.id, ExperimentRow.attempts, ExperimentRow.owner)
            .where(_expired(now))
            .order_by(ExperimentRow.created_at)
        )
        for experiment_id, attempts, owner in found.all():
            values: dict[str, Any] = {"owner": None, "lease_until": None, "updated_at": now, "state": "queued"}
            if attempts >= max_attempts:
                values |= {"state": "failed", "error": _exhausted(attempts)}
            still = update(ExperimentRow).where(ExperimentRow.id == experiment_id, _expired(now))
            changed = session.execute(still.values(**values))
            session.commit()
            if changed.rowcount != 1:  # type: ignore[attr-defined]
                continue
            if values["state"] == "queued":
                log.warning("experiment %s: the lease of %s ran out; queuing it again", experiment_id, owner)
                requeued.append(experiment_id)
            else:
                log.warning("experiment %s failed: its worker stopped %d times while running it", experiment_id, attempts)
    return requeued


def _exhausted(attempts: int) -> dict[str, str]:
    return {
        "code": "experiment_attempts_exhausted",
        "message": f"The worker running this experiment stopped {attempts} times; it is not started again. Check the "
        "worker's log, then POST /v1/experiments/{id}/resume: finished items are kept and not called again.",
    }
