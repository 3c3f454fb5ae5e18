"""An app with two probe routes: one that logs through a library-style logger, one that fails."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from service.config import Settings
from service.main import create_app
from tests.conftest import TODAY


def _probe_log() -> dict[str, str]:
    logging.getLogger("somelibrary.client").info("probe reached")
    return {"ok": "yes"}


def _probe_fail() -> None:
    raise RuntimeError("probe failure")


def with_probes(app: FastAPI) -> FastAPI:
    # First in the route list: the web router's catch-all must not answer these paths.
    app.router.routes[:0] = [
        APIRoute("/_probe/log", _probe_log, methods=["GET"]),
        APIRoute("/_probe/fail/{kind}", _probe_fail, methods=["GET"]),
    ]
    return app


def build(settings: Settings) -> Iterator[TestClient]:
    app = with_probes(create_app(settings, clock=lambda: TODAY))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client
    app.state.database.dispose()


@pytest.fixture
def probed(settings: Settings) -> Iterator[TestClient]:
    yield from build(settings)


def samples(client: httpx.Client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of GET /metrics as {(name, sorted labels): value}."""
    response = client.get("/metrics")
    assert response.status_code == 200
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[tuple[str, tuple[tuple[str, str], ...]], float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)
