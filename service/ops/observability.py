"""Request ids, structured JSON logs and Prometheus metrics for every request the app answers.

One pure ASGI middleware, added with ``add_middleware`` outside every other one: ``RequestObserver`` takes or
makes the request id (response header and context variable), writes the access line and the latency sample.
An unhandled exception's 500 is sent by Starlette's ``ServerErrorMiddleware``, outside it: the observer still
counts it (the exception passes through it), and the 500 handler in service/api/problems.py adds the header
itself. Job metrics are read from the store at scrape time, so they are right whichever process (API or worker)
changed a job.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import sys
import time
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TextIO

import orjson
from fastapi import FastAPI
from prometheus_client import CollectorRegistry, Counter, Histogram, PlatformCollector, ProcessCollector, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from rules.facts import STRATEGIES
from service.config import Settings
from service.ids import uuid4_hex
from service.ops.collectors import JobsCollector, LoopInsertsCollector
from service.store.db import Database

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID_NAME = REQUEST_ID_HEADER.lower().encode("latin-1")
# The id of the request being served. Each request runs in a task of its own, with a copy of the context: set once
# per request and never reset, so the 500 handler, which runs after the exception left the app, still reads it.
correlation_id: ContextVar[str | None] = ContextVar("request_id", default=None)
# Fine buckets at the low end: a verdict takes about a millisecond, an upload seconds.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,128}")
# Any other method name becomes OTHER: a client must not be able to grow the label set.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Secrets that could reach a log line through a library's message: keys and bearer tokens.
_SECRET = re.compile(r"\b(?:sk-[A-Za-z0-9_-]{8,}|xox[a-z]-[A-Za-z0-9-]{8,})|(?i:bearer)\s+[A-Za-z0-9._~+/=-]{8,}")
access_log = logging.getLogger("service.access")
# One encoder: json.dumps with any option builds a new JSONEncoder on every call. orjson first: a line per request.
_JSON_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str).encode
# Dates and dataclasses go to ``default=str`` as json sent them, not orjson's own forms.
_AS_JSON_DID = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def _encode(entry: dict[str, Any]) -> str:
    """A log line's JSON: orjson (a tenth of json's time), json for what orjson refuses (integers beyond 64 bits); any
    other value as its ``str``, as json's ``default`` gives it."""
    try:
        return orjson.dumps(entry, default=str, option=_AS_JSON_DID).decode()
    except TypeError:
        return _JSON_ENCODE(entry)


def current_request_id() -> str | None:
    """The id of the request being served, for error bodies and log lines; None outside a request."""
    return correlation_id.get()


def _sane_or_new(request_id: str) -> str:
    # A client's id is kept only when it is a plain token: it ends up in headers, logs and bodies.
    return request_id if _SANE_ID.fullmatch(request_id) else uuid4_hex()


def request_id_of(headers: list[tuple[bytes, bytes]]) -> str:
    """The client's X-Request-ID when it is a plain token (the first one sent), else a new id: never a log line, so a
    client cannot add lines at will (ADR 0007)."""
    for name, value in headers:
        if name == _REQUEST_ID_NAME:
            return _sane_or_new(value.decode("latin-1"))
    return uuid4_hex()


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
        self.registry.register(LoopInsertsCollector(database))
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


class RequestObserver:
    """Pure ASGI: the request id (ADR 0007, amended), one access log line and one histogram sample per request, 413s
    and 500s included. The request's own headers are left as the client sent them."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        request_id = request_id_of(scope["headers"])
        correlation_id.set(request_id)
        echoed = (_REQUEST_ID_NAME, request_id.encode("latin-1"))
        # What the client gets if no response starts: the 500 that ServerErrorMiddleware sends after us.
        status = 500

        async def observed_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), echoed]  # a new list: the response's own is untouched
            await send(message)

        try:
            await self.app(scope, receive, observed_send)
        finally:
            self._finish(scope, status, time.perf_counter() - start)

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
        request_id = correlation_id.get()
        if request_id is not None:
            entry["request_id"] = request_id
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            entry.update(fields)
        if record.exc_info:
            entry["exc"] = _redact(self.formatException(record.exc_info))
        return _encode(entry)


class TextFormatter(logging.Formatter):
    """Lines for a person at a terminal: time, level, what happened, and the request id when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        # Access lines ("POST /v1/advice 201 2.1 ms") and uvicorn's speak for themselves; other lines name their logger.
        quiet = record.name == access_log.name or record.name.startswith("uvicorn")
        line = f"{self.formatTime(record, '%H:%M:%S')} {record.levelname:<7} {'' if quiet else record.name + ': '}"
        line += record.getMessage()
        request_id = correlation_id.get()
        if request_id:
            line += f"  request_id={request_id}"
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return _redact(line)


def log_format(settings: Settings, stream: TextIO | None = None) -> str:
    """``json`` or ``text``: ``auto`` is text when the log goes to a terminal, JSON when it goes to a file or a collector."""
    if settings.log_format != "auto":
        return settings.log_format
    target = stream if stream is not None else sys.stderr
    try:
        return "text" if target.isatty() else "json"
    except (AttributeError, ValueError):  # a closed or replaced stream: a machine is reading
        return "json"


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
    """Route every logger through one handler in ``settings.log_format`` (see ``log_format``); safe to call for each app."""
    root = logging.getLogger()
    # Neither formatter prints thread or process names: skip collecting them for every record.
    logging.logThreads = logging.logProcesses = logging.logMultiprocessing = False
    for handler in [h for h in root.handlers if isinstance(h, _StderrHandler)]:
        root.removeHandler(handler)
    handler = _StderrHandler()
    handler.setFormatter(JsonFormatter() if log_format(settings) == "json" else TextFormatter())
    root.addHandler(handler)
    root.setLevel(settings.log_level.upper())
    for name in ("uvicorn", "uvicorn.error"):  # uvicorn's own handlers print plain text beside ours
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True  # our access line replaces it, with the route and request id


def install(app: FastAPI, metrics: Metrics) -> None:
    """Add the observer; call it last, so it wraps every other middleware."""
    app.add_middleware(RequestObserver, metrics=metrics)
