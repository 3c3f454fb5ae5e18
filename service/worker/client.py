"""The API's way to the worker: typed calls over one pooled connection, and the one "worker or here?" decision.

Import-light on purpose: the shared schemas, never the store, Chroma or a model (the CLI's in-process
operations are imported only when no worker answers). The calls go over the standard library's http.client
(service/worker/transport.py), kept alive between calls.
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ValidationError

from service.config import Settings
from service.errors import AdvisorError, ServiceUnavailable
from service.worker.schemas import (
    DeleteResult,
    DocumentRef,
    DropResult,
    EmbedQuery,
    EmbedResult,
    EvaluateQuery,
    EvaluateResult,
    HealthResult,
    KbRef,
    SearchQuery,
    SearchResult,
    StatsResult,
    WorkerProblem,
)
from service.worker.transport import Answer, Gone, Late, Pool

TIMEOUT_SECONDS = 60.0  # an evaluation of many questions, or the first embed while the model loads
CONNECT_SECONDS = 2.0
PROBE_SECONDS = 2.0  # a health check: the worker answers in milliseconds when it is up
FRESH_SECONDS = 2.0  # how long a known up/down state is trusted before the next health check
RETRY_SECONDS = 0.2
WorkerState = Literal["ok", "starting", "restarting", "down"]
Embed = Callable[[list[str]], list[list[float]]]
Result = TypeVar("Result", bound=BaseModel)
# The worker is not there (yet), or went away mid-call: every operation is idempotent, so the call is sent again.
# A read timeout is not among them: that worker is alive and busy, and a second copy would only add to its load.


class WorkerUnavailable(ServiceUnavailable):
    code = "worker_unavailable"


def worker_file(data_dir: Path) -> Path:
    """Where a running worker publishes its address."""
    return data_dir / "worker.json"


def supervisor_file(data_dir: Path) -> Path:
    """Where `advisor serve`'s supervisor publishes the worker's state (service/worker/supervisor.py)."""
    return data_dir / "supervisor.json"


@dataclass(frozen=True)
class SupervisorState:
    """What the supervisor knows: ``starting``, ``ok`` (answering) or ``restarting`` (dead, to be started again)."""

    pid: int
    state: str
    restarts: int
    last_exit: int | None = None
    worker_pid: int | None = None


def read_supervisor(data_dir: Path) -> SupervisorState | None:
    """The supervisor's state, or None when no supervisor runs for this data dir (a stale file is ignored)."""
    try:
        state = SupervisorState(**json.loads(supervisor_file(data_dir).read_text(encoding="utf-8")))
        os.kill(state.pid, 0)  # the supervisor is the serve process on this machine: gone means stale
    except (OSError, ValueError, TypeError):
        return None
    return state


class WorkerClient:
    """Typed calls to the worker. One per API process (on app.state), thread-safe, one connection pool.

    A call waits up to ADVISOR_WORKER_WAIT_SECONDS for a worker that is not (yet) up: the seconds after
    `advisor serve` starts, or a worker restart. Every operation is idempotent, so a call that never
    reached the worker is sent again.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._pool: Pool | None = None
        self._guard = threading.Lock()
        self._published: tuple[int, str] | None = None  # (mtime_ns of worker.json, its url)
        self._opened = time.monotonic()
        self._reached = False
        self._seen: tuple[float, bool] | None = None  # (when, up) of the last contact

    # -- the typed operations ------------------------------------------------------------------
    def search(self, query: SearchQuery) -> SearchResult:
        return self._call("/search", query, SearchResult)

    def evaluate(self, query: EvaluateQuery) -> EvaluateResult:
        return self._call("/evaluate", query, EvaluateResult)

    def delete_document(self, ref: DocumentRef) -> DeleteResult:
        return self._call("/documents/delete", ref, DeleteResult)

    def drop(self, ref: KbRef) -> DropResult:
        return self._call("/drop", ref, DropResult)

    def stats(self, ref: KbRef) -> StatsResult:
        return self._call("/stats", ref, StatsResult)

    def embed(self, query: EmbedQuery) -> EmbedResult:
        return self._call("/embed", query, EmbedResult)

    def health(self, *, wait: float = 0.0) -> HealthResult:
        return self._call("/health", None, HealthResult, wait=wait, timeout=PROBE_SECONDS)

    # -- what callers ask instead of probing themselves -------------------------------------------
    def embed_texts(self, texts: list[str]) -> list[list[float]]:
        """Vectors from the worker's model (cached there per text); the API process never loads a model."""
        return self.embed(EmbedQuery(texts=texts)).vectors

    def embedder_if_up(self) -> Embed | None:
        """The worker's embeddings when it is up, else None (callers fall back); never waits for it.

        Known state is trusted for a couple of seconds, so busy traffic does not send a health check each time.
        """
        if not self._fresh():
            self.state()
        return self.embed_texts if self._seen is not None and self._seen[1] else None

    def state(self) -> WorkerState:
        """ok, starting (not reached yet, within the start-up wait), restarting (supervised, dead) or down."""
        supervised = self.supervision()
        if supervised is not None and supervised.state == "restarting":
            self._mark(False)
            return "restarting"
        try:
            self.health()
        except AdvisorError:
            starting = not self._reached and time.monotonic() - self._opened < self.settings.worker_wait_seconds
            return "starting" if starting else "down"
        return "ok"

    def supervision(self) -> SupervisorState | None:
        """What `advisor serve`'s supervisor says of the worker (None when nothing supervises it here)."""
        return None if self.settings.worker_url else read_supervisor(self.settings.data_dir)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()

    def _http(self) -> Pool:
        """The connection pool, made by the first call."""
        with self._guard:
            if self._pool is None:
                headers = {}
                if self.settings.worker_secret is not None:
                    headers["authorization"] = f"Bearer {self.settings.worker_secret.get_secret_value()}"
                self._pool = Pool(headers, CONNECT_SECONDS, TIMEOUT_SECONDS)
            return self._pool

    # -- plumbing --------------------------------------------------------------------------------
    def _fresh(self) -> bool:
        return self._seen is not None and time.monotonic() - self._seen[0] < FRESH_SECONDS

    def _mark(self, up: bool) -> None:
        self._seen = (time.monotonic(), up)
        self._reached = self._reached or up

    def url(self) -> str | None:
        """ADVISOR_WORKER_URL, or the address in the data dir (read again when a restarted worker rewrites it)."""
        if self.settings.worker_url:
            return self.settings.worker_url.rstrip("/")
        path = worker_file(self.settings.data_dir)
        try:
            mtime = path.stat().st_mtime_ns
            with self._guard:
                if self._published is None or self._published[0] != mtime:
                    self._published = (mtime, str(json.loads(path.read_text(encoding="utf-8"))["url"]))
                return self._published[1]
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _call(
        self, path: str, body: BaseModel | None, result: type[Result], *, wait: float | None = None, timeout: float | None = None
    ) -> Result:
        deadline = time.monotonic() + (self.settings.worker_wait_seconds if wait is None else wait)
        content = b"{}" if body is None else body.model_dump_json().encode()
        while True:
            url = self.url()
            if url is not None:
                try:
                    response = self._http().post(url + path, content, timeout=timeout)
                except Gone:
                    pass
                except Late as exc:
                    self._mark(False)
                    raise WorkerUnavailable(f"The worker at {url} did not answer in time; see its log.") from exc
                else:
                    self._mark(response.status != 401)  # a worker that refuses our secret is no use to us
                    return _parse(response, result)
            self._mark(False)
            if time.monotonic() >= deadline:
                raise self._unavailable(url)
            time.sleep(RETRY_SECONDS)

    def _unavailable(self, url: str | None) -> WorkerUnavailable:
        if url is None:
            return WorkerUnavailable(
                "No worker is running for this data dir; start it with `advisor worker` (`make run` starts one)."
            )
        return WorkerUnavailable(f"The worker at {url} did not answer; is `advisor worker` running?")


def _parse(response: Answer, result: type[Result]) -> Result:
    if response.status == 200:
        return result.model_validate_json(response.body)
    try:
        problem = WorkerProblem.model_validate_json(response.body)
    except ValidationError:
        problem = WorkerProblem(code="worker_error", detail=f"the worker answered {response.status}; see its log")
    if response.status == 401:
        # The caller's credentials are fine; the API and the worker disagree on the secret.
        raise WorkerUnavailable(problem.detail, code=problem.code)
    raise AdvisorError(problem.detail, code=problem.code, status=response.status)


def worker_answers(settings: Settings) -> bool:
    """True when a worker for these settings answers a health check now (no waiting)."""
    client = WorkerClient(settings)
    try:
        client.health()
    except AdvisorError:
        return False
    finally:
        client.close()
    return True
