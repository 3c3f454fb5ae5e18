"""Claiming background jobs: fair turns across tenants, and leases a dead worker's jobs come back from.

A queue message only says "there is work"; which job runs is decided here, from the jobs table:
the oldest queued job of the tenant served least recently (a tenant never served goes first). A claim
is a compare-and-set (``state = 'queued'``), so two workers, or two threads, never take one job.

A claimed job holds a lease (ADVISOR_JOB_LEASE_SECONDS) that its worker renews while it works. A job
whose lease ran out - its worker was killed, lost its machine or hung - is queued again by whichever
worker sweeps next, and after ADVISOR_JOB_MAX_ATTEMPTS starts it fails with ``job_attempts_exhausted``.

Turns are fair within a job too: a long ingestion gives its turn back after each slice while another tenant
waits (``give_turn``), and resumes where it stopped when the fair order picks it again.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import SQLAlchemyError

from service.store import leases
from service.store.db import Database
from service.store.models import JobRow, utcnow

log = logging.getLogger("service.worker")
CLAIM_TRIES = 5


def new_owner() -> str:
    """Who holds a lease: this host and process, and a random part (pids are reused)."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim_next(database: Database, owner: str, lease_seconds: float) -> str | None:
    """Mark the fairest queued job running under ``owner`` and return its id; None when nothing is queued."""
    for _ in range(CLAIM_TRIES):
        with database.session() as session:
            queued = select(JobRow.tenant_id, func.min(JobRow.created_at)).where(JobRow.state == "queued")
            oldest = dict(session.execute(queued.group_by(JobRow.tenant_id)).all())
            if not oldest:
                return None
            served = dict(
                session.execute(
                    select(JobRow.tenant_id, func.max(JobRow.started_at))
                    .where(JobRow.tenant_id.in_(list(oldest)), JobRow.started_at.is_not(None))
                    .group_by(JobRow.tenant_id)
                ).all()
            )
            never = dt.datetime.min.replace(tzinfo=dt.UTC)
            tenant = min(oldest, key=lambda t: (_aware(served.get(t)) or never, _aware(oldest[t]) or never, t))
            job_id = session.scalar(
                select(JobRow.id)
                .where(JobRow.state == "queued", JobRow.tenant_id == tenant)
                .order_by(JobRow.created_at, JobRow.id)
                .limit(1)
            )
            if job_id is None:
                continue
        if claim(database, job_id, owner, lease_seconds):
            return job_id
    return None


def claim(database: Database, job_id: str, owner: str, lease_seconds: float) -> bool:
    """Take this queued job (compare-and-set): False when it is not queued, or another worker took it first."""
    now = utcnow()
    with database.session() as session:
        claimed = session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.state == "queued")
            .values(
                state="running",
                owner=owner,
                lease_until=now + dt.timedelta(seconds=lease_seconds),
                started_at=now,
                attempts=JobRow.attempts + 1,
                updated_at=now,
            )
        )
        session.commit()
        return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    """Aggregates skip the column type on some backends: a naive value from SQLite is UTC."""
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value)
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    return value


def renew(database: Database, job_id: str, owner: str, lease_seconds: float) -> bool:
    """Extend the lease; False when the job is no longer this owner's (it expired and was taken back)."""
    return leases.renew(database, JobRow, job_id, owner, lease_seconds)


def release_expired(database: Database, max_attempts: int) -> list[str]:
    """Queue again every running job whose lease ran out (see service/store/leases.py); returns those ids."""
    return leases.release_expired(
        database, JobRow, max_attempts, kind="job", exhausted=_exhausted, failed=lambda now: {"finished_at": now}
    )


def _exhausted(attempts: int) -> dict[str, str]:
    return {
        "code": "job_attempts_exhausted",
        "message": f"The worker running this job stopped {attempts} times (a crash, or the job is too big for it); "
        "it is not started again. Check the worker's log, then upload the documents again.",
    }


def others_waiting(database: Database, tenant_id: str) -> bool:
    """Whether another tenant has a job queued: a long job then gives its turn at its next slice."""
    with database.session() as session:
        waiting = select(JobRow.id).where(JobRow.state == "queued", JobRow.tenant_id != tenant_id).limit(1)
        return session.scalar(waiting) is not None


def give_turn(database: Database, job_id: str, owner: str, payload: dict[str, Any], done: int) -> bool:
    """Queue this running job again with ``payload`` (where to resume), its lease released and its attempt given
    back (a turn given is not a crash). False when the job is no longer ``owner``'s: the caller just stops."""
    now = utcnow()
    with database.session() as session:
        given = session.execute(
            update(JobRow)
            .where(JobRow.id == job_id, JobRow.owner == owner, JobRow.state == "running")
            .values(
                state="queued",
                owner=None,
                lease_until=None,
                attempts=JobRow.attempts - 1,
                payload=payload,
                done=done,
                updated_at=now,
            )
        )
        session.commit()
        return bool(given.rowcount == 1)  # type: ignore[attr-defined]


def queued_jobs(database: Database) -> list[str]:
    with database.session() as session:
        return list(session.scalars(select(JobRow.id).where(JobRow.state == "queued").order_by(JobRow.created_at)))


@dataclass
class Lease:
    """Renews a claimed job's lease from a thread while the job runs; ``lost`` is set if the job was taken back."""

    database: Database
    job_id: str
    owner: str
    seconds: float
    lost: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Lease:
        self._thread = threading.Thread(target=self._run, name=f"lease-{self.job_id[:8]}", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self.seconds)

    def _run(self) -> None:
        while not self._stop.wait(self.seconds / 3):
            try:
                if not renew(self.database, self.job_id, self.owner, self.seconds):
                    log.warning("job %s is no longer ours (its lease ran out); stopping it here", self.job_id)
                    self.lost.set()
                    return
            except SQLAlchemyError as exc:  # the database is away: the lease may run out, and the job is run again
                log.warning("could not renew the lease of job %s: %s", self.job_id, type(exc).__name__)
