"""Run an experiment's plan: every candidate on every item, each result stored as it finishes.

Resumable: items with a stored result are never called again, so a killed worker (or a run stopped by a
provider that kept failing) continues where it was. One runner at a time: the run is claimed under a lease
(``service/store/experiment_leases.py``) that it renews while it works, so a second message for the same
experiment, on another thread or worker, does nothing; a runner that lost its lease stops calling.

Calls per provider are bounded in the process (``ADVISOR_EXPERIMENT_CONCURRENCY``); a 429 or 5xx is retried
after ``Retry-After`` when the provider sends one, else with exponential backoff. A call that still fails stops
the run (state ``failed``, progress kept) rather than scoring an outage as wrong answers; an item the provider
refuses (a 4xx) is stored with its error.
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
from service.experiments.graders import Similarity, UnreadableJudge, grade
from service.experiments.judging import ClientFor, Judges
from service.experiments.repository import ExperimentRepository, ResultRepository
from service.knowledge_bases.grounding import CitedChunk, grounded_prompt
from service.providers.chat import ChatClient, ChatError, Reply
from service.providers.keys import api_key
from service.store import experiment_leases as leases
from service.store.db import Database
from service.store.jobs import new_owner
from service.store.models import ExperimentResultRow, ExperimentRow

log = logging.getLogger("service.worker")
BACKOFF_SECONDS = 0.5
MAX_BACKOFF_SECONDS = 30.0
Search = Callable[[str, str], Sequence[CitedChunk]]

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
    judges: Judges | None = None

    def call(self, candidate: dict[str, Any], item: dict[str, Any]) -> tuple[Reply, float]:
        system, messages = self.messages(candidate, item["input"])
        model, max_tokens = candidate["model"], self.planned["max_tokens"]
        return self.complete(self.client, self.target["provider"], model, system, messages, max_tokens)

    def complete(
        self, client: ChatClient, provider: str, model: str, system: str | None, messages: list[dict[str, str]], max_tokens: int
    ) -> tuple[Reply, float]:
        """One call and its latency in ms, retried on 429/5xx (after Retry-After, else with backoff) within the
        provider's bound; the latency is the answered attempt's."""
        attempt = 0
        while True:
            started = time.monotonic()
            try:
                with _slot(provider, self.settings.experiment_concurrency):
                    reply = client.complete(model, system, messages, max_tokens)
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
            rates = self.planned.get("rates", {}).get(candidate["name"])
            result.output, result.latency_ms = reply.text, round(latency, 3)
            result.input_tokens, result.output_tokens = reply.input_tokens, reply.output_tokens
            if not self.graded(
                result, spec, item, reply.text, Rates(**rates).usd(reply.input_tokens, reply.output_tokens) if rates else None
            ):
                return
        self.record(result)

    def graded(self, result: ExperimentResultRow, spec: Any, item: dict[str, Any], output: str, cost: float | None) -> bool:
        """Grade the output into ``result`` (with the judge's cost); False when the judge is down (the run stops)."""
        judge, spent = self.judges.for_item(item["input"]) if self.judges else (None, [])
        try:
            graded = grade(spec, output, item["expected"], self.similarity, judge)
            result.correct, result.detail = graded.correct, graded.detail
        except UnreadableJudge as exc:  # not scored: neither right nor wrong
            result.correct, result.error = False, str(exc)
        except ChatError as exc:
            if exc.retryable or exc.status is None:
                self.stop.set()
                self.failure = {"code": "provider_unavailable", "message": f"judge: {exc.message}", "status": exc.status}
                return False
            result.correct, result.error = False, f"judge: {exc.message}"
        costs = [cost, *spent]
        result.cost_usd = None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)
        return True

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
    owner: str | None = None,
) -> str:
    """Run (or resume) the experiment; returns its state. Nothing already answered is called again.

    When another runner holds it (or it has ended) nothing runs, and its current state is returned.
    """
    owner = owner or new_owner()
    lease = settings.job_lease_seconds
    if not leases.claim(database, experiment_id, owner, lease):
        return _state(database, experiment_id)
    with database.session() as session:
        row = session.get(ExperimentRow, experiment_id)
        assert row is not None  # just claimed; experiments are never deleted once queued
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
    run.judges = Judges(target, planned.get("judge_rates", {}), client_for or default_client(settings), run.complete)
    done = threading.Event()
    keeper = threading.Thread(target=_keep_lease, args=(run, owner, lease, done), name="experiment-lease", daemon=True)
    keeper.start()
    try:
        with ThreadPoolExecutor(max_workers=settings.experiment_concurrency, thread_name_prefix="experiment") as pool:
            for future in [pool.submit(run.one, candidate, index) for candidate, index in pending]:
                future.result()
    except Exception as exc:
        log.exception("experiment %s failed", experiment_id)
        run.failure = {"code": "experiment_failed", "message": type(exc).__name__}
    finally:
        done.set()
        client.close()
        run.judges.close()
        keeper.join()
    state = "failed" if run.failure else "succeeded"
    if not leases.finish(database, experiment_id, owner, state, run.failure):
        log.warning("experiment %s: the lease was lost while it ran; its new runner finishes it", experiment_id)
        return _state(database, experiment_id)
    return state


def _keep_lease(run: _Run, owner: str, lease: float, done: threading.Event) -> None:
    """Renew the lease every third of it until the run ends; lost (taken back after a stall), stop calling."""
    while not done.wait(lease / 3):
        try:
            kept = leases.renew(run.database, run.row_id, owner, lease)
        except Exception:  # the database is away: keep calling, the next round tries again
            log.warning("experiment %s: the lease could not be renewed", run.row_id, exc_info=True)
            continue
        if not kept:
            run.stop.set()
            return


def _state(database: Database, experiment_id: str) -> str:
    with database.session() as session:
        row = session.get(ExperimentRow, experiment_id)
        return row.state if row is not None else "missing"
