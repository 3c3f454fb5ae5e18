"""Claiming jobs on SQLite and PostgreSQL: fair turns across tenants, leases, and attempts that run out."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from service.store import jobs
from service.store.db import Database, upgrade
from service.store.models import JobRow, utcnow
from tests.conftest import fresh_postgres_schema

LEASE = 30.0


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """An empty jobs table per test (claims look at every tenant's jobs): a new SQLite file, or a new PostgreSQL schema."""
    with contextlib.ExitStack() as stack:
        url = f"sqlite:///{tmp_path / 'jobs.db'}" if request.param == "sqlite" else stack.enter_context(fresh_postgres_schema())
        database = Database(url)
        upgrade(database.engine)
        yield database
        database.dispose()


def queue_jobs(database: Database, tenant: str, count: int) -> list[str]:
    ids = []
    with database.session() as session:
        for _ in range(count):
            job = JobRow(id=str(uuid.uuid4()), tenant_id=tenant, kind="ingest", state="queued", payload={})
            session.add(job)
            session.flush()  # one created_at after another
            ids.append(job.id)
        session.commit()
    return ids


def finish(database: Database, job_id: str) -> None:
    with database.session() as session:
        session.execute(update(JobRow).where(JobRow.id == job_id).values(state="succeeded", finished_at=utcnow()))
        session.commit()


def run_all(database: Database) -> list[str]:
    """One worker: claim, finish, repeat; the order jobs completed in."""
    order = []
    while (job_id := jobs.claim_next(database, "worker-1", LEASE)) is not None:
        finish(database, job_id)
        order.append(job_id)
    return order


def test_a_single_document_of_one_tenant_is_not_held_back_by_anothers_twenty(database: Database) -> None:
    big = queue_jobs(database, "tenant-a", 20)
    small = queue_jobs(database, "tenant-b", 1)
    order = run_all(database)
    assert sorted(order) == sorted(big + small), "every job ran once"
    assert order.index(small[0]) == 1, "B's job went right after the one A job that was first in line"
    assert [job for job in order if job in big] == big, "each tenant's own jobs keep their order"


def test_turns_alternate_between_tenants_with_work(database: Database) -> None:
    a = queue_jobs(database, "tenant-a", 3)
    b = queue_jobs(database, "tenant-b", 3)
    c = queue_jobs(database, "tenant-c", 1)
    assert run_all(database) == [a[0], b[0], c[0], a[1], b[1], a[2], b[2]]


def test_a_claimed_job_is_not_claimed_twice(database: Database) -> None:
    queue_jobs(database, "tenant-a", 30)
    claimed: list[str] = []
    guard = threading.Lock()

    def claimer(name: str) -> None:
        while (job_id := jobs.claim_next(database, name, LEASE)) is not None:
            with guard:
                claimed.append(job_id)

    threads = [threading.Thread(target=claimer, args=(f"worker-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(claimed) == len(set(claimed)) == 30


def expire(database: Database, job_id: str) -> None:
    with database.session() as session:
        session.execute(update(JobRow).where(JobRow.id == job_id).values(lease_until=utcnow() - dt.timedelta(seconds=1)))
        session.commit()


def test_an_expired_lease_queues_the_job_again_until_its_attempts_run_out(database: Database) -> None:
    (job_id,) = queue_jobs(database, "tenant-a", 1)
    for attempt in (1, 2, 3):
        assert jobs.claim_next(database, f"worker-{attempt}", LEASE) == job_id
        assert jobs.release_expired(database, max_attempts=3) == [], "a lease that holds is left alone"
        expire(database, job_id)  # the worker died: nobody renews the lease
        requeued = jobs.release_expired(database, max_attempts=3)
        with database.session() as session:
            job = session.get(JobRow, job_id)
            assert job is not None and job.attempts == attempt
            if attempt < 3:
                assert requeued == [job_id] and job.state == "queued" and job.owner is None
            else:
                assert requeued == [] and job.state == "failed"
                assert job.error is not None and job.error["code"] == "job_attempts_exhausted"
                assert job.finished_at is not None and job.lease_until is None
    assert jobs.claim_next(database, "worker-4", LEASE) is None


def test_a_lease_is_renewed_only_by_its_owner_while_it_holds_the_job(database: Database) -> None:
    (job_id,) = queue_jobs(database, "tenant-a", 1)
    assert jobs.claim_next(database, "worker-1", LEASE) == job_id
    assert jobs.renew(database, job_id, "worker-1", LEASE)
    assert not jobs.renew(database, job_id, "worker-2", LEASE)
    expire(database, job_id)
    assert jobs.release_expired(database, max_attempts=3) == [job_id]
    assert jobs.claim_next(database, "worker-2", LEASE) == job_id
    assert not jobs.renew(database, job_id, "worker-1", LEASE), "the first worker lost the job and must stop"


def test_a_running_job_without_a_lease_is_one_from_before_leases_and_is_queued_again(database: Database) -> None:
    (job_id,) = queue_jobs(database, "tenant-a", 1)
    with database.session() as session:
        session.execute(update(JobRow).where(JobRow.id == job_id).values(state="running", attempts=1))
        session.commit()
    assert jobs.release_expired(database, max_attempts=3) == [job_id]


def test_the_lease_thread_renews_and_reports_a_lost_job(database: Database) -> None:
    (job_id,) = queue_jobs(database, "tenant-a", 1)
    assert jobs.claim_next(database, "worker-1", 0.3) == job_id
    with jobs.Lease(database, job_id, "worker-1", 0.3) as lease:
        with database.session() as session:
            session.execute(update(JobRow).where(JobRow.id == job_id).values(owner="worker-2"))
            session.commit()
        assert lease.lost.wait(timeout=30), "the lease thread noticed the job is someone else's"


def test_workers_sweeping_at_once_queue_each_expired_job_once(database: Database) -> None:
    ids = queue_jobs(database, "tenant-a", 12)
    while jobs.claim_next(database, "dead-worker", LEASE) is not None:
        pass
    for job_id in ids:
        expire(database, job_id)
    released: list[str] = []
    guard = threading.Lock()

    def sweeper() -> None:
        found = jobs.release_expired(database, max_attempts=3)
        with guard:
            released.extend(found)

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(released) == sorted(ids), "each job queued again by exactly one sweep (one queue message each)"


def test_a_turn_given_is_not_an_attempt_and_the_other_tenant_goes_next(database: Database) -> None:
    (big,) = queue_jobs(database, "tenant-a", 1)
    assert jobs.claim_next(database, "worker-1", LEASE) == big
    assert not jobs.others_waiting(database, "tenant-a")
    (small,) = queue_jobs(database, "tenant-b", 1)
    assert jobs.others_waiting(database, "tenant-a") and not jobs.others_waiting(database, "tenant-b")
    assert not jobs.give_turn(database, big, "worker-2", {"resume": {"documents": 3}}, 3), "only the owner gives its turn"
    assert jobs.give_turn(database, big, "worker-1", {"resume": {"documents": 3}}, 3)
    with database.session() as session:
        job = session.get(JobRow, big)
        assert job is not None and (job.state, job.owner, job.attempts, job.done) == ("queued", None, 0, 3)
        assert job.payload == {"resume": {"documents": 3}}
    assert run_all(database) == [small, big]
    for _ in range(5):  # turns given many times never exhaust the job's attempts
        with database.session() as session:
            session.execute(update(JobRow).where(JobRow.id == big).values(state="queued"))
            session.commit()
        assert jobs.claim_next(database, "worker-1", LEASE) == big
        assert jobs.give_turn(database, big, "worker-1", {}, 0)
    with database.session() as session:
        job = session.get(JobRow, big)
        assert job is not None and job.attempts == 1, "the one start that ran it to the end"
