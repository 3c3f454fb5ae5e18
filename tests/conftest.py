"""Shared fixtures: a real app on a temporary SQLite file, and a PostgreSQL schema per session."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fastapi.routing
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from service.config import Settings
from service.main import create_app

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
# Each app's start-up would otherwise run a full garbage collection of this process's heap, which grows to
# millions of objects over the suite (~0.3-2 s per app, minutes in all); tests/service/ops/test_startup_heap.py
# turns it on where it is the subject.
os.environ.setdefault("ADVISOR_FREEZE_HEAP", "0")

DATA = Path(__file__).parent / "data"
POSTGRES_ROOT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TODAY = dt.date(2026, 11, 24)


# Where the public examples predate the expert review (issue 13) and the corrected catalog, the review wins:
# - p05: Claude cannot be tuned, so tuning moves to a provider that can; it no longer falls back to prompting.
# - p10: a working prompt with no behaviour to teach is kept; moving a 5,000-token block into the weights would
#   also mean leaving OpenAI, whose tuning is closing, and the cached block costs a fraction of the quoted price.
DEVIATIONS = {"p05": "fine_tuning", "p10": "prompting"}


def load_scenarios() -> list[dict[str, Any]]:
    """The public scenarios, each with the strategy the advisor gives today under ``expect.strategy``."""
    with (DATA / "scenarios_public.jsonl").open(encoding="utf-8") as handle:
        cases = [json.loads(line) for line in handle if line.strip()]
    for case in cases:
        if case["id"] in DEVIATIONS:
            case["expect"] = {**case["expect"], "published": case["expect"]["strategy"], "strategy": DEVIATIONS[case["id"]]}
    return cases


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", database_url=None)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, clock=lambda: TODAY)
    with TestClient(app) as test_client:
        yield test_client
    app.state.database.dispose()


@contextlib.contextmanager
def fresh_postgres_schema(prefix: str = "t") -> Iterator[str]:
    """A new schema in the local PostgreSQL database `test`, dropped afterwards; the URL selects it (subprocesses too)."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ROOT)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_ROOT}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh schema for the whole test session."""
    with fresh_postgres_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


@pytest.fixture
def solved(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths FastAPI's own dependency solving ran for (a lean route's plain requests never reach it)."""
    calls: list[str] = []
    solve = fastapi.routing.solve_dependencies

    async def counted(*, request: Any, **kwargs: Any) -> Any:
        calls.append(request.url.path)
        return await solve(request=request, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    return calls
