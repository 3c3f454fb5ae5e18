"""FastAPI's native OpenTelemetry: off by default (no spans, no check for a provider per request), on with
ADVISOR_OTEL=true (ADR 0026)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from service.config import Settings
from service.main import create_app
from tests.conftest import TODAY


@pytest.fixture
def spans(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """A configured global tracer provider (what an operator's OpenTelemetry set-up gives), seen only by this test."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    yield exporter
    provider.shutdown()


def _advise(tmp_path: Path, **settings: object) -> None:
    app = create_app(Settings(data_dir=tmp_path / "data", database_url=None, **settings), clock=lambda: TODAY)  # type: ignore[arg-type]
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        profile = {"task": "Label tickets", "needs_external_knowledge": False}
        assert client.post("/v1/advice", json=profile).status_code == 201
    app.state.database.dispose()


def test_requests_are_not_traced_by_default(tmp_path: Path, spans: InMemorySpanExporter) -> None:
    assert Settings().otel is False
    _advise(tmp_path)
    assert spans.get_finished_spans() == ()


def test_advisor_otel_traces_each_request_to_the_global_provider(tmp_path: Path, spans: InMemorySpanExporter) -> None:
    _advise(tmp_path, otel=True)
    names = [span.name for span in spans.get_finished_spans()]
    assert any("/healthz" in name for name in names), names
    assert any("/v1/advice" in name for name in names), names
