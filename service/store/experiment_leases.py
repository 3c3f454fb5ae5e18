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
from typing import Any

from sqlalchemy import update

from service.store import leases
from service.store.db import Database
from service.store.models import ExperimentRow, utcnow


def _expired(now: dt.datetime) -> Any:
    return leases.expired(ExperimentRow, now)


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
    return leases.renew(database, ExperimentRow, experiment_id, owner, lease_seconds)


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
    """Queue again every running experiment whose lease ran out; returns those ids (each needs a queue message)."""
    return leases.release_expired(database, ExperimentRow, max_attempts, kind="experiment", exhausted=_exhausted)


def _exhausted(attempts: int) -> dict[str, str]:
    return {
        "code": "experiment_attempts_exhausted",
        "message": f"The worker running this experiment stopped {attempts} times; it is not started again. Check the "
        "worker's log, then POST /v1/experiments/{id}/resume: finished items are kept and not called again.",
    }
