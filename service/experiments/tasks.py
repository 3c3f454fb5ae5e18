"""The worker's experiment task: the runner, with the worker's embedding model and knowledge-base search."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from service.experiments.graders import cosine
from service.experiments.repository import ExperimentSystemQueries
from service.experiments.runner import run_experiment
from service.knowledge_bases.grounding import CitedChunk

if TYPE_CHECKING:  # the API registers the task only to enqueue it
    from service.worker.runtime import Runtime

log = logging.getLogger("service.worker")
GROUNDING_K = 5


def experiment_task(runtime: Runtime | None) -> Callable[[str], None]:
    """The Huey task's body bound to the worker's runtime; ``None`` where a process only enqueues (the API)."""

    def run(experiment_id: str) -> None:
        if runtime is None:
            raise RuntimeError("experiments run in the worker process (`advisor worker`), not here")
        run_in(runtime, experiment_id)

    return run


def run_in(runtime: Runtime, experiment_id: str) -> str:
    def similarity(a: str, b: str) -> float:
        first, second = runtime.embed_cached([a, b])
        return cosine(first, second)

    def search(kb_id: str, q: str) -> Sequence[CitedChunk]:
        return runtime.index(runtime.kb(kb_id)).query(q, k=GROUNDING_K)

    state = run_experiment(runtime.database, experiment_id, runtime.settings, similarity=similarity, search=search)
    log.info("experiment %s %s", experiment_id, state)
    return state


def unfinished_experiments(runtime: Runtime) -> list[str]:
    """Experiments a dead worker left queued or running; the new worker resumes them."""
    with runtime.database.session() as session:
        return ExperimentSystemQueries(session).all_tenants_unfinished()
