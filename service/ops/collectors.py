"""Metrics read at scrape time: the jobs in the store, and where the event loop's inserts went."""

from __future__ import annotations

import logging
from collections.abc import Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from service.store.db import Database
from service.store.models import JobRow, TuningJobRow

JOB_STATES = ("queued", "running", "succeeded", "failed")
log = logging.getLogger(__name__)


class JobsCollector:
    """Job gauges and failure counts queried from the jobs tables on every scrape."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def describe(self) -> Iterator[Metric]:
        # Names only, so registering never queries the store.
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        up, jobs, done, total, failures = self._families()
        try:
            with self.database.session() as session:
                rows = session.execute(select(JobRow.kind, JobRow.state, func.count()).group_by(JobRow.kind, JobRow.state))
                counts: dict[tuple[str, str], int] = {(kind, state): n for kind, state, n in rows}
                running = (JobRow.kind == "ingest") & (JobRow.state == "running")
                progress = session.execute(select(func.sum(JobRow.done), func.sum(JobRow.total)).where(running)).one()
                tuning_failed = session.scalar(select(func.count()).where(TuningJobRow.status == "failed")) or 0
        except SQLAlchemyError as exc:
            log.warning("job metrics unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        kinds = sorted({"ingest", *(kind for kind, _ in counts)})
        states = [*JOB_STATES, *sorted({state for _, state in counts} - set(JOB_STATES))]
        for kind in kinds:
            for state in states:
                jobs.add_metric([kind, state], counts.get((kind, state), 0))
            failures.add_metric([kind], counts.get((kind, "failed"), 0))
        failures.add_metric(["tuning"], tuning_failed)
        done.add_metric([], progress[0] or 0)
        total.add_metric([], progress[1] or 0)
        yield from (up, jobs, done, total, failures)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily, CounterMetricFamily]:
        return (
            GaugeMetricFamily("advisor_store_up", "1 when the job metrics could be read from the store at this scrape."),
            GaugeMetricFamily("advisor_jobs", "Background jobs in the store, by kind and state.", labels=["kind", "state"]),
            GaugeMetricFamily("advisor_ingestion_chunks_done", "Chunks embedded so far by the running ingestion jobs."),
            GaugeMetricFamily("advisor_ingestion_chunks_total", "Chunks to embed in the running ingestion jobs."),
            CounterMetricFamily(
                "advisor_job_failures", "Jobs that ended failed (ingestion jobs, tuning-job submissions).", labels=["kind"]
            ),
        )


class LoopInsertsCollector:
    """Advice rows committed on the event loop, and those handed to the thread pool because SQLite's write lock was
    held (service/store/immediate.py, ADR 0023): many hand-offs mean another writer keeps the database busy."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[CounterMetricFamily]:
        writer = self.database.immediate
        inserts = CounterMetricFamily(
            "advisor_loop_inserts",
            "Plain advice rows by where they were committed: on the event loop, or handed to the thread pool "
            "because SQLite's write lock was held.",
            labels=["outcome"],
        )
        inserts.add_metric(["committed"], writer.committed)
        inserts.add_metric(["handed_back"], writer.handed_back)
        yield inserts
        yield CounterMetricFamily(
            "advisor_loop_insert_transactions",
            "Transactions that committed the event loop's advice rows: the rows decided in one turn of the loop are "
            "committed together (ADR 0038), so committed rows / transactions is the mean rows per transaction.",
            value=writer.transactions,
        )
