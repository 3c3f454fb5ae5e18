"""Run an experiment's plan: every candidate on every item, each result stored as it finishes.

Resumable: items with a stored result are never called again, so a killed worker (or a run stopped by a
provider that kept failing) continues where it was. Calls per provider are bounded in the process
(``ADVISOR_EXPERIMENT_CONCURRENCY``); a 429 or 5xx is retried after ``Retry-After`` when the provider sends
one, else with exponential backoff. A call that still fails stops the run (state ``failed``, progress kept)
rather than scoring an outage as wrong answers; an item the provider refuses (a 4xx) is stored with its error.
"""

from __future__ import annotations

import datetime as dt
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from service.config import Settings
from service.experiments import plan
from service.experiments.costs import Rates
from service.experiments.graders import Similarity, grade
from service.experiments.repository import ExperimentRepository, ResultRepository
from service.knowledge_bases.grounding import CitedChunk, grounded_prompt
from service.providers.chat import ChatClient, ChatError, Reply
from service.providers.keys import api_key
from service.store.db import Database
from service.store.models import ExperimentResultRow, ExperimentRow, utcnow

log = logging.getLogger("service.worker")
BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
Search = Callable[[str, str], Sequence[CitedChunk]]
ClientFor = Callable[[dict[str, Any]], ChatClient]

_slots: dict[str, threading.BoundedSemaphore] = {}
_slots_guard = threading.Lock()


def _slot(provider: str, size: int) -> threading.BoundedSemaphore:
    """The process-wide bound on calls in flight to one provider, shared by every experiment running here."""
    with _slots_guard:
        if provider not in _slots:
            _slots[provider] = threading.BoundedSemaphore(size)
        return _slots[provider]


def default_client(settings: Settings) -> ClientFor:
    def build(target: dict[str, Any]) -> ChatClient:
        key = api_key(settings, target["provider"]) or ""
        return ChatClient(target["provider"], key, base_url=target.get("base_url"), timeout=settings.experiment_timeout_seconds)

    return build


@dataclass
class _Run:
    database: Database
    row_id: str
    tenant_id: str
    target: dict[str, Any]
    planned: dict[str, Any]
    client: ChatClient
    settings: Settings
    similarity: Similarity | None
    search: Search | None
    sleep: Callable[[float], None]
    today: dt.date
    stop: threading.Event
    failure: dict[str, Any] | None = None

    def call(self, candidate: dict[str, Any], item: dict[str, Any]) -> tuple[Reply, float]:
        system, messages = self.messages(candidate, item["input"])
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                with _slot(self.target["provider"], self.settings.experiment_concurrency):
                    reply = self.client.complete(candidate["model"], system, messages, self.planned["max_tokens"])
                return reply, (time.monotonic() - started) * 1000
            except ChatError as exc:
                # A server that does not answer at all is given two more tries, not the full count of backoffs.
                limit = self.settings.experiment_retries if exc.status is not None else min(2, self.settings.experiment_retries)
                if not exc.retryable or attempt >= limit or self.stop.is_set():
                    raise
                wait = exc.retry_after
                if wait is None:
                    wait = min(MAX_BACKOFF_SECONDS, BACKOFF_SECONDS * 2**attempt) * (0.5 + random.random() / 2)
                self.sleep(min(wait, MAX_BACKOFF_SECONDS * 4))
                attempt += 1

    def messages(self, candidate: dict[str, Any], text: str) -> tuple[str | None, list[dict[str, str]]]:
        if candidate["kind"] != "grounded":
            return plan.messages_for(candidate, text)
        if self.search is None:
            raise ChatError(
                "grounded candidates run in the worker, which searches the knowledge base", status=None, retryable=False
            )
        sent = grounded_prompt(text, self.search(candidate["knowledge_base"], text), "openai", today=self.today).messages or []
        system = "\n\n".join(m["content"] for m in sent if m["role"] == "system") or None
        return system, [m for m in sent if m["role"] != "system"]

    def one(self, candidate: dict[str, Any], index: int) -> None:
        if self.stop.is_set():
            return
        item = self.planned["items"][index]
        spec = plan.parse_spec(item["grader"])
        result = ExperimentResultRow(
            experiment_id=self.row_id, candidate=candidate["name"], item=index, tenant_id=self.tenant_id, grader=spec.type
        )
        try:
            reply, latency = self.call(candidate, item)
        except ChatError as exc:
            if exc.retryable or exc.status is None:
                self.stop.set()
                self.failure = {"code": "provider_unavailable", "message": exc.message, "status": exc.status}
                return
            result.correct, result.error, result.output = False, exc.message, None
        else:
            graded = grade(spec, reply.text, item["expected"], self.similarity)
            rates = self.planned.get("rates", {}).get(candidate["name"])
            result.output, result.correct, result.detail = reply.text, graded.correct, graded.detail
            result.latency_ms = round(latency, 3)
            result.input_tokens, result.output_tokens = reply.input_tokens, reply.output_tokens
            result.cost_usd = Rates(**rates).usd(reply.input_tokens, reply.output_tokens) if rates else None
        self.record(result)

    def record(self, result: ExperimentResultRow) -> None:
        with self.database.session() as session:
            ResultRepository(session, self.tenant_id).add(result)
            ExperimentRepository(session, self.tenant_id).count_done(self.row_id)
            session.commit()


def run_experiment(
    database: Database,
    experiment_id: str,
    settings: Settings,
    *,
    client_for: ClientFor | None = None,
    similarity: Similarity | None = None,
    search: Search | None = None,
    sleep: Callable[[float], None] = time.sleep,
    today: dt.date | None = None,
) -> str:
    """Run (or resume) the experiment; returns its final state. Nothing already answered is called again."""
    with database.session() as session:
        row = session.get(ExperimentRow, experiment_id)
        if row is None or row.state == "succeeded":
            return row.state if row else "missing"
        row.state, row.attempts, row.error, row.updated_at = "running", row.attempts + 1, None, utcnow()
        tenant_id, target, planned = row.tenant_id, dict(row.target), dict(row.plan)
        results = ResultRepository(session, tenant_id)
        pending = [
            (candidate, index)
            for candidate in planned["candidates"]
            for index in sorted(set(range(len(planned["items"]))) - results.finished(experiment_id, candidate["name"]))
        ]
        row.done = row.total - len(pending)
        session.commit()
    client = (client_for or default_client(settings))(target)
    run = _Run(
        database, experiment_id, tenant_id, target, planned, client, settings, similarity, search, sleep,
        today or dt.date.today(), threading.Event(),
    )  # fmt: skip
    try:
        with ThreadPoolExecutor(max_workers=settings.experiment_concurrency, thread_name_prefix="experiment") as pool:
            for future in [pool.submit(run.one, candidate, index) for candidate, index in pending]:
                future.result()
    except Exception as exc:
        log.exception("experiment %s failed", experiment_id)
        run.failure = {"code": "experiment_failed", "message": type(exc).__name__}
    finally:
        client.close()
    state = "failed" if run.failure else "succeeded"
    with database.session() as session:
        row = session.get(ExperimentRow, experiment_id)
        if row is not None:
            row.state, row.error, row.updated_at = state, run.failure, utcnow()
            session.commit()
    return state
