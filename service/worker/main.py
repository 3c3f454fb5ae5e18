"""`advisor worker`: one process that owns the vector store, runs ingestion jobs and answers searches."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import socket
import threading
import time

import uvicorn

from service.config import Settings
from service.knowledge_bases import tasks
from service.worker.app import create_worker_app, require_secret_beyond_loopback
from service.worker.client import worker_file
from service.worker.queue import worker_queue
from service.worker.runtime import Runtime

log = logging.getLogger("service.worker")
START_SECONDS = 60.0
IDLE_POLL_SECONDS = 0.5  # the longest a queued job waits for an idle worker; one small read of the queue each time


def run_worker(settings: Settings, *, threads: int = 1) -> None:
    """Run until SIGINT/SIGTERM. Jobs a dead worker left behind are queued again first."""
    from service.ops.observability import configure_logging

    configure_logging(settings)  # JSON lines like the API's (or text with ADVISOR_LOG_FORMAT=text)
    require_secret_beyond_loopback(settings)  # before taking the store's lock
    runtime = Runtime(settings)
    try:
        queue = worker_queue(settings, runtime)
        server, thread, url = _serve(runtime)
        for job_id in tasks.unfinished_jobs(runtime):
            log.info("re-queuing unfinished job %s", job_id)
            queue.ingest(job_id)
        from service.experiments.tasks import unfinished_experiments  # above the worker's layer: named in pyproject

        for experiment_id in unfinished_experiments(runtime):
            log.info("resuming unfinished experiment %s", experiment_id)
            queue.experiment(experiment_id)
        # Load the default model now, not on the first request.
        threading.Thread(target=lambda: runtime.embedder(None).model, name="warm-model", daemon=True).start()
        _publish(settings, url)
        # Huey's idle poll backs off to 10 s by default: a job queued on a quiet worker waited that long to start.
        consumer = queue.huey.create_consumer(workers=threads, worker_type="thread", periodic=False, max_delay=IDLE_POLL_SECONDS)
        log.info("worker ready: queue %s, endpoint %s", type(queue.huey).__name__, url)
        try:
            consumer.run()  # in the main thread: it owns SIGINT/SIGTERM
        finally:
            with contextlib.suppress(FileNotFoundError):
                worker_file(settings.data_dir).unlink()
            server.should_exit = True
            thread.join(timeout=10)
    finally:
        runtime.close()


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
