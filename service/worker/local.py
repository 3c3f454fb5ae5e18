"""The CLI's one decision: the running worker, or this process as the store's owner when none answers.

On the worker's side of the layers (it may open the store), while the client stays import-light.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from service.config import Settings
from service.errors import AdvisorError
from service.worker.client import WorkerClient
from service.worker.schemas import Operations


@contextlib.contextmanager
def operations(settings: Settings) -> Iterator[Operations]:
    """The running worker, or, when none answers, this process as the store's owner (the CLI's one decision).

    Owning the store takes its lock: a worker that is starting but not answering yet makes this fail
    with ``vector_store_locked`` instead of two processes writing one store.
    """
    client = WorkerClient(settings)
    try:
        try:
            client.health()
        except AdvisorError:
            pass
        else:
            yield client
            return
    finally:
        client.close()
    from service.worker.operations import StoreOperations
    from service.worker.runtime import Runtime

    runtime = Runtime(settings)
    try:
        yield StoreOperations(runtime)
    finally:
        runtime.close()
