"""Request ids, structured JSON logs and Prometheus metrics for every request the app answers.

One pure ASGI wrapper sits outside the whole app, Starlette's error middleware included, so even a
500 or a 413 from the body limit carries ``X-Request-ID`` and is measured. Job metrics are read from
the store at scrape time, so they are right whichever process (API or worker) changed a job.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextvars import ContextVar
from typing import Any, TextIO

from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram, PlatformCollector, ProcessCollector, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rules.facts import STRATEGIES
from service.config import Settings
from service.store.db import Database
from service.store.models import JobRow, TuningJobRow

REQUEST_ID_HEADER = b"x-request-id"
JOB_STATES = ("queued", "running", "succeeded", "failed")
# Fine buckets at the low end: a verdict takes about a millisecond, an upload seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_SANE_ID = re.compile(rb"[A-Za-z0-9._-]{1,128}")
# Any other method name becomes OTHER: a client must not be able to grow the label set.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Secrets that could reach a log line through a library's message: keys and bearer tokens.
_SECRET = re.compile(r"\b(?:sk-[A-Za-z0-9_-]{8,}|xox[a-z]-[A-Za-z0-9-]{8,})|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}")
_REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
_METRICS: ContextVar[Metrics | None] = ContextVar("metrics", default=None)
access_log = logging.getLogger("service.access")
# One encoder: json.dumps with any option builds a new JSONEncoder on every call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str).encode
log = logging.getLogger("service.ops.observability")


def current_request_id() -> str | None:
    """The id of the request being served, for error bodies and log lines; None outside a request."""
    return _REQUEST_ID.get()


def record_verdict(strategy: str) -> None:
    """Count one stored advice for the app serving this request (or the last app built, outside a request)."""
    metrics = _METRICS.get() or _Fallback.metrics
    if metrics is not None:
        metrics.count_verdict(strategy)


class _Fallback:
    # Verdicts made off the request's context (a Slack thread pool) still count, for the process's app.
    metrics: Metrics | None = None


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


class Metrics:
    """One app's registry: its own, because tests build many apps in one process."""

    def __init__(self, database: Database) -> None:
        self.registry = CollectorRegistry()
        self.latency = Histogram(
            "advisor_http_request_duration_seconds",
            "From the request's arrival to the end of its response, by route template.",
            ("method", "route", "status_class"),
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.verdicts = Counter(
            "advisor_verdicts", "Advice stored, by the strategy chosen.", ("strategy",), registry=self.registry
        )
        self._verdict_inc: dict[str, Callable[..., None]] = {
            strategy: self.verdicts.labels(strategy).inc for strategy in STRATEGIES
        }
        self._observers: dict[tuple[str, str, int], Callable[[float], None]] = {}
        self.registry.register(JobsCollector(database))
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, status // 100)
        observe = self._observers.get(key)
        if observe is None:  # once per (method, route, class): labels() takes a lock on every call
            observe = self._observers[key] = self.latency.labels(method, route, f"{status // 100}xx").observe
        observe(seconds)

    def count_verdict(self, strategy: str) -> None:
        increment = self._verdict_inc.get(strategy)
        if increment is None:
            increment = self._verdict_inc[strategy] = self.verdicts.labels(strategy).inc
        increment()

    def exposition(self) -> bytes:
        """The Prometheus text format of every metric, job gauges freshly read."""
        return generate_latest(self.registry)


def _incoming_id(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == REQUEST_ID_HEADER:
            return value.decode("ascii") if _SANE_ID.fullmatch(value) else None
    return None


class RequestObserver:
    """Pure ASGI: a request id in a contextvar and a response header, one access log line, one histogram sample."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = _incoming_id(scope["headers"]) or uuid.uuid4().hex
        id_token, metrics_token = _REQUEST_ID.set(request_id), _METRICS.set(self.metrics)
        id_header = (REQUEST_ID_HEADER, request_id.encode())
        status = 500  # what the client gets if nothing is sent: the server drops the connection

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), id_header]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self._finish(scope, status, time.perf_counter() - start)
            _METRICS.reset(metrics_token)
            _REQUEST_ID.reset(id_token)

    def _finish(self, scope: Scope, status: int, seconds: float) -> None:
        # The template, not the path: /v1/advice/{advice_id} is one series, not one per id.
        route = getattr(scope.get("route"), "path", None) or "unmatched"
        method = scope["method"] if scope["method"] in _METHODS else "OTHER"
        self.metrics.observe_request(method, route, status, seconds)
        if access_log.isEnabledFor(logging.INFO):
            fields: dict[str, Any] = {"method": method, "route": route, "status": status, "duration_ms": round(seconds * 1e3, 3)}
            tenant = (scope.get("state") or {}).get("tenant")
            if isinstance(tenant, str):
                fields["tenant"] = tenant
            # makeRecord + handle, not info(): info() walks the stack for the caller's file and line, half its cost.
            args = (method, route, status, seconds * 1e3)
            record = access_log.makeRecord(access_log.name, logging.INFO, __file__, 0, "%s %s %d %.1f ms", args, None)
            record.fields = fields
            access_log.handle(record)


def _redact(text: str) -> str:
    return _SECRET.sub("[redacted]", text)


class JsonFormatter(logging.Formatter):
    """One JSON object per record, with the current request id; any logger's records, not only ours."""

    def format(self, record: logging.LogRecord) -> str:
        stamp = dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")
        entry: dict[str, Any] = {
            "ts": stamp.replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "msg": _redact(record.getMessage()),
        }
        request_id = _REQUEST_ID.get()
        if request_id is not None:
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exc"] = _redact(self.formatException(record.exc_info))
        return _ENCODE(entry)


class TextFormatter(logging.Formatter):
    """Plain lines for a terminal, still with the request id."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        request_id = _REQUEST_ID.get()
        return _redact(f"{line} request_id={request_id}" if request_id else line)


class _StderrHandler(logging.StreamHandler[TextIO]):
    """Writes to the current ``sys.stderr``, not the one at start-up (pytest and uvicorn replace it)."""

    def __init__(self) -> None:
        logging.Handler.__init__(self)

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def configure_logging(settings: Settings) -> None:
    """Route every logger through one handler in ``settings.log_format``; safe to call for each app built."""
    root = logging.getLogger()
    # Neither formatter prints thread or process names: skip collecting them for every record.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if settings.log_format == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error"):  # uvicorn's own handlers print plain text beside ours
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our access line replaces it, with the route and request id


def install(app: FastAPI, settings: Settings) -> None:
    """Create the app's metrics (``app.state.metrics``) and wrap the app in ``RequestObserver``.

    Logging is configured by ``create_app`` calling ``configure_logging`` first, before migrations log.
    """
    metrics = Metrics(app.state.database)
    app.state.metrics = metrics
    _Fallback.metrics = metrics
    build_inner = app.build_middleware_stack

    def build_middleware_stack() -> ASGIApp:
        # Outside ServerErrorMiddleware (which add_middleware cannot reach): unhandled errors get the header too.
        return RequestObserver(build_inner(), metrics)

    app.build_middleware_stack = build_middleware_stack  # type: ignore[method-assign]
