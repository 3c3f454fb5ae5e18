"""`advisor worker`: one process that owns the vector store, runs ingestion jobs and answers searches."""

from __future__ import annotations

import contextlib
import logging
import threading

from service.config import Settings
from service.knowledge_bases import tasks
from service.worker.queue import get_queue
from service.worker.runtime import Runtime
from service.worker.server import serve, worker_file

log = logging.getLogger("service.worker")


def run_worker(settings: Settings, *, threads: int = 1) -> None:
    """Run until SIGINT/SIGTERM. Jobs a dead worker left behind are queued again first."""
    from service.ops.observability import configure_logging

    configure_logging(settings)  # JSON lines like the API's (or text with ADVISOR_LOG_FORMAT=text)
    runtime = Runtime(settings)
    tasks.RUNTIME = runtime
    queue = get_queue(settings)
    server = serve(runtime, settings.worker_host, settings.worker_port)
    for job_id in tasks.unfinished_jobs(runtime):
        log.info("re-queuing unfinished job %s", job_id)
        queue.ingest(job_id)
    # Load the default model now, not on the first request.
    threading.Thread(target=lambda: runtime.embedder(None).model, name="warm-model", daemon=True).start()
    consumer = queue.huey.create_consumer(workers=threads, worker_type="thread", periodic=False)
    log.info("worker ready: queue %s, endpoint %s", type(queue.huey).__name__, server.server_address)
    try:
        consumer.run()
    finally:
        server.shutdown()
        with contextlib.suppress(FileNotFoundError):
            worker_file(settings.data_dir).unlink()
        runtime.close()
