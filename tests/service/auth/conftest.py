"""Apps with auth on (a temporary SQLite store), and keys issued the way `advisor keys create` issues them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from service.auth.service import IssuedKey, issue
from service.config import Settings
from service.main import create_app
from tests.conftest import TODAY


def auth_app(data_dir: Path, **overrides: Any) -> FastAPI:
    """An app that requires keys; rate limits off unless a test asks for them."""
    values: dict[str, Any] = {"data_dir": data_dir, "auth": "on", "rate_limit_per_minute": 0} | overrides
    return create_app(Settings(**values), clock=lambda: TODAY)


def new_key(app: FastAPI, tenant: str, name: str = "") -> IssuedKey:
    with app.state.database.session() as session:
        return issue(session, tenant, name)


def bearer(key: IssuedKey | str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key if isinstance(key, str) else key.key}"}


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[TestClient]:
    app = auth_app(tmp_path / "data")
    with TestClient(app) as client:
        yield client
    app.state.database.dispose()
