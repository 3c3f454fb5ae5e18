"""The server decides once and plans an empty questionnaire while it starts: the first team to ask does not wait.

Before: the first POST /v1/advice after `advisor serve` loaded the rules and the catalog, generated their code and
built the table of every signature combination (ADR 0032), 43-83 ms against ~2 ms for the next ones; the first
questionnaire session planned every group's grid, ~180 ms against ~1.3 ms.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app

ROOT = Path(__file__).resolve().parents[3]

# A fresh interpreter: nothing has decided in it before the app starts.
SCRIPT = """
import datetime as dt
from fastapi.testclient import TestClient
from rules import signature_table
from rules.loading import default_rules
from rules.reachability import _plan
from service.main import create_app

app = create_app(clock=lambda: dt.date(2026, 11, 24))
assert not signature_table._ANSWERS, "built before the app started"
with TestClient(app):
    plans = _plan.cache_info().currsize
    print("started", default_rules().version in signature_table._ANSWERS, plans)
app.state.database.dispose()
"""


def test_the_decision_path_is_built_while_the_server_starts(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "ADVISOR_DATA_DIR": str(tmp_path), "ADVISOR_LOG_LEVEL": "WARNING"}
    env.pop("ADVISOR_DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["started", "True", "1"]  # the table built, an empty session planned


def test_a_warm_up_that_fails_is_logged_and_the_server_serves(settings: Settings, caplog: pytest.LogCaptureFixture) -> None:
    days = iter([None])  # the first reading of the clock (the warm-up's) fails; the rest give the day

    def clock() -> dt.date:
        if next(days, dt.date(2026, 11, 24)) is None:
            raise RuntimeError("no clock yet")
        return dt.date(2026, 11, 24)

    app = create_app(settings, clock=clock)
    with caplog.at_level(logging.ERROR, logger="service.main"), TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert client.post("/v1/advice", json={"task": "Label tickets", "examples": 40}).status_code == 201
    app.state.database.dispose()
    assert [record.getMessage() for record in caplog.records if record.name == "service.main"] == [
        "warming up the rules failed; the first advice or questionnaire will load them itself"
    ]
