"""`advisor worker`: one process that owns the vector store, runs ingestion jobs and answers searches."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import sys
import threading
import time

import uvicorn
from threadpoolctl import threadpool_limits

from service.config import Settings
from service.store import experiment_leases, jobs
from service.worker.app import create_worker_app, require_secret_beyond_loopback
from service.worker.client import worker_file
from service.worker.failures import FailureFilter, watch_queue
from service.worker.queue import Queue, worker_queue
from service.worker.runtime import Runtime
from service.worker.warm import warm_at_start

log = logging.getLogger("service.worker")
START_SECONDS = 60.0
IDLE_POLL_SECONDS = 0.5  # the longest a queued job waits for an idle worker; one small read of the queue each time
# How long a thread holds the GIL before another may take it (Python's default is 5 ms). A search waits behind an
# ingestion or a BM25 rebuild in Python code: at 1 ms its p99 fell from 33 to 3 ms beside a rebuild (ADR 0017).
SWITCH_INTERVAL_SECONDS = 0.001


def run_worker(settings: Settings, *, threads: int = 1) -> None:
    """Run until SIGINT/SIGTERM. Jobs a dead worker left behind are queued again first."""
    from service.ops.observability import configure_logging

    configure_logging(settings)  # JSON lines like the API's (or text with ADVISOR_LOG_FORMAT=text)
    failures = FailureFilter(settings.failure_log_seconds)
    failures.install()  # a dependency that is down is logged once, then counted
    require_secret_beyond_loopback(settings)  # before taking the store's lock
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    # One BLAS thread: after a search's cosines from memory (a 5,000 x 384 product), OpenBLAS' second thread
    # spin-waits: 0.48 ms of wall time and 4.2 ms of process CPU per product, against 0.83 and 0.87 (ADR 0031).
    threadpool_limits(limits=1, user_api="blas")
    runtime = Runtime(settings)
    try:
        queue = worker_queue(settings, runtime)
        watch_queue(queue.huey, failures, "redis" if settings.redis_url else "database")
        server, thread, url = _serve(runtime)
        sweeper = Sweeper(runtime, queue, failures)
        sweeper.round()
        threading.Thread(target=sweeper.run, name="lease-sweeper", daemon=True).start()
        from service.experiments.tasks import unfinished_experiments  # above the worker's layer: named in pyproject

        for experiment_id in unfinished_experiments(runtime):
            log.info("resuming unfinished experiment %s", experiment_id)
            queue.experiment(experiment_id)
        # Load the default model now, not on the first request.
        threading.Thread(target=lambda: runtime.embedder(None).model, name="warm-model", daemon=True).start()
        # And the BM25 snapshots of the biggest knowledge bases, not on their first search (~30 s at 100,000 chunks).
        threading.Thread(target=warm_at_start, args=(runtime,), name="warm-snapshots", daemon=True).start()
        _publish(settings, url)
        # Huey's idle poll backs off to 10 s by default: a job queued on a quiet worker waited that long to start.
        consumer = queue.huey.create_consumer(workers=threads, worker_type="thread", periodic=False, max_delay=IDLE_POLL_SECONDS)
        log.info("worker ready: queue %s, endpoint %s", type(queue.huey).__name__, url)
        try:
            consumer.run()  # in the main thread: it owns SIGINT/SIGTERM
        finally:
            sweeper.stopping.set()
            with contextlib.suppress(FileNotFoundError):
                worker_file(settings.data_dir).unlink()
            server.should_exit = True
            thread.join(timeout=10)
    finally:
        runtime.close()


class Sweeper:
    """Every third of a lease: queue again the jobs and experiments whose worker stopped renewing their lease.

    The first round (at start, and again after the queue failed) also sends a message for every queued job:
    the queue may have lost some (a Redis restart, or a message that could not be sent while it was down).
    Every other round tops the queue up: fewer messages waiting than jobs queued means some job has none (its
    message was taken by a worker that died before claiming, or a job gave its turn and its worker died before
    sending one again), and without a message a queued job would wait forever. A message too many costs one
    empty claim. A running job whose lease still holds belongs to a live worker, or to one that died less than
    a lease ago.
    """

    def __init__(self, runtime: Runtime, queue: Queue, failures: FailureFilter) -> None:
        self.runtime, self.queue, self.failures = runtime, queue, failures
        self.resend = True
        self.stopping = threading.Event()

    def round(self) -> None:
        database, settings = self.runtime.database, self.runtime.settings
        try:
            expired = jobs.release_expired(database, settings.job_max_attempts)
            queued = jobs.queued_jobs(database)
            self.failures.recovered("database")
            if not self.resend:  # only the missing messages (each one means "a job is queued", whichever job)
                queued = queued[: max(0, len(queued) - len(expired) - self.queue.huey.pending_count())]
            for job_id in dict.fromkeys(expired + queued):
                log.info("re-queuing unfinished job %s", job_id)
                self.queue.ingest(job_id)
            for experiment_id in experiment_leases.release_expired(database, settings.job_max_attempts):
                self.queue.experiment(experiment_id)  # resumed from its stored results: nothing is called twice
            self.resend = False
        except Exception:  # the database or the queue is away (logged once per outage, then counted); try again
            self.resend = True
            log.warning("the lease sweep failed; trying again in %.0f s", settings.job_lease_seconds / 3, exc_info=True)

    def run(self) -> None:
        while not self.stopping.wait(self.runtime.settings.job_lease_seconds / 3):
            self.round()


def _serve(runtime: Runtime) -> tuple[uvicorn.Server, threading.Thread, str]:
    """The endpoint in a thread beside the consumer, on a socket bound here (so port 0 resolves before it serves)."""
    settings = runtime.settings
    host = settings.worker_host
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, settings.worker_port))
    port = sock.getsockname()[1]
    config = uvicorn.Config(create_worker_app(runtime), log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="worker-http", daemon=True)
    thread.start()
    deadline = time.monotonic() + START_SECONDS
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the worker's endpoint did not start; see the log above")
        time.sleep(0.02)
    return server, thread, f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _publish(settings: Settings, url: str) -> None:
    """Write the address where API processes on this data dir look for it (atomically: never half a file)."""
    target = worker_file(settings.data_dir)
    partial = target.with_suffix(".partial")
    partial.write_text(json.dumps({"url": url, "pid": os.getpid()}), encoding="utf-8")
    os.replace(partial, target)
