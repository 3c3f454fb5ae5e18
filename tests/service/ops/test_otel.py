"""FastAPI's native OpenTelemetry: off by default (no spans, no look-up of a provider per request), on with
ADVISOR_OTEL=true (ADR 0026)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from service.config import Settings
from service.main import create_app
from tests.conftest import TODAY


@dataclass
class Tracing:
    exporter: InMemorySpanExporter = field(default_factory=InMemorySpanExporter)
    lookups: int = 0  # calls of trace.get_tracer_provider


@pytest.fixture
def tracing(monkeypatch: pytest.MonkeyPatch) -> Iterator[Tracing]:
    """A configured global tracer provider (what an operator's OpenTelemetry set-up gives), seen only by this test."""
    seen = Tracing()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(seen.exporter))

    def lookup() -> TracerProvider:
        seen.lookups += 1
        return provider

    monkeypatch.setattr(trace, "get_tracer_provider", lookup)
    yield seen
    provider.shutdown()


def _advise(settings: Settings, tracing: Tracing) -> int:
    """A GET /healthz and a POST /v1/advice; how often the requests looked up the tracer provider."""
    app = create_app(settings, clock=lambda: TODAY)
    with TestClient(app) as client:
        before = tracing.lookups
        assert client.get("/healthz").status_code == 200
        assert client.post("/v1/advice", json={"task": "Label tickets", "needs_external_knowledge": False}).status_code == 201
        lookups = tracing.lookups - before
    app.state.database.dispose()
    return lookups


def test_requests_are_not_traced_by_default(settings: Settings, tracing: Tracing) -> None:
    assert Settings.model_fields["otel"].default is False
    assert _advise(settings, tracing) == 0
    assert tracing.exporter.get_finished_spans() == ()


def test_advisor_otel_traces_each_request_to_the_global_provider(settings: Settings, tracing: Tracing) -> None:
    assert _advise(settings.model_copy(update={"otel": True}), tracing) > 0
    names = [span.name for span in tracing.exporter.get_finished_spans()]
    assert "GET /healthz" in names, names
    assert "POST /v1/advice" in names, names  # a lean route named by its template: the router saw it
