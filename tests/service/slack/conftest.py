"""A real app with Slack on (two workspaces), served by uvicorn on loopback, talking to a fake Slack."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import func, select

from service.config import Settings
from service.main import create_app
from service.store.db import Database
from service.store.models import AdviceRow, SlackDeliveryRow
from tests.conftest import TODAY
from tests.service.slack.fake_slack import FakeSlack, command_body, fake_slack, serve, sign

SECRET = "test-signing-secret"
PUBLIC_URL = "https://advisor.example"
WORKSPACES = {
    "T1": {"bot_token": "xoxb-team-one", "tenant": "acme"},
    "T2": {"bot_token": "xoxb-team-two"},
}


@dataclass
class SlackServer:
    """The served app, its store and the fake Slack it posts to."""

    url: str
    fake: FakeSlack
    database: Database
    http: httpx.Client

    def post(
        self, body: bytes, *, content_type: str, timestamp: int | None = None, secret: str = SECRET, **headers: str
    ) -> httpx.Response:
        signed = {**sign(secret, body, timestamp), "Content-Type": content_type, **headers}
        return self.http.post(f"{self.url}/slack/events", content=body, headers=signed)

    def command(self, text: str, **kwargs: Any) -> httpx.Response:
        headers = kwargs.pop("headers", {})
        return self.post(command_body(text, **kwargs), content_type="application/x-www-form-urlencoded", **headers)

    def advice_rows(self, task: str | None = None) -> list[AdviceRow]:
        """Stored advice, oldest first; ``task`` narrows it to one test's rows in a shared PostgreSQL schema."""
        query = select(AdviceRow).order_by(AdviceRow.seq)
        if task is not None:
            query = query.where(AdviceRow.task == task)
        with self.database.session() as session:
            return list(session.scalars(query))

    def deliveries(self, *keys: str) -> int:
        query = select(func.count()).select_from(SlackDeliveryRow)
        if keys:
            query = query.where(SlackDeliveryRow.key.in_(keys))
        with self.database.session() as session:
            return int(session.scalar(query) or 0)


def slack_settings(tmp_path: Path, api_url: str, database_url: str | None = None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        slack_signing_secret=SecretStr(SECRET),
        slack_workspaces=WORKSPACES,
        slack_api_url=api_url,
        public_url=PUBLIC_URL,
        intake_provider="rules",
    )


@pytest.fixture
def slack_database_url(request: pytest.FixtureRequest) -> str | None:
    """SQLite in the data dir; ``indirect`` parametrization with "postgres" runs on a fresh PostgreSQL schema."""
    backend = getattr(request, "param", "sqlite")
    return str(request.getfixturevalue("postgres_url")) if backend == "postgres" else None


@pytest.fixture
def slack(tmp_path: Path, slack_database_url: str | None) -> Iterator[SlackServer]:
    with fake_slack() as fake:
        app = create_app(slack_settings(tmp_path, fake.url, slack_database_url), clock=lambda: TODAY)
        with serve(app) as url, httpx.Client(timeout=30) as http:
            yield SlackServer(url, fake, app.state.database, http)
        app.state.database.dispose()
