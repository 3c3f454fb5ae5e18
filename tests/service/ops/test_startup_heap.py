"""The heap start-up builds is frozen while the app serves, and importing the service leaves the collector as it was.

Why (ADR 0018): full collections walked every long-lived object of the process on each pass; frozen, they skip them.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app

ROOT = Path(__file__).resolve().parents[3]


def _collected() -> set[int]:
    """Ids of the objects the collector walks (its three generations; frozen objects are in none)."""
    return {id(value) for value in gc.get_objects()}


def test_startup_objects_are_frozen_while_serving_and_thawed_after(settings: Settings) -> None:
    assert Settings.model_fields["freeze_heap"].default is True  # what a server does unless told otherwise
    app = create_app(settings.model_copy(update={"freeze_heap": True}), clock=lambda: dt.date(2026, 11, 24))
    with TestClient(app) as client:
        assert gc.get_freeze_count() > 10_000
        built_at_startup = app.state.settings
        assert gc.is_tracked(built_at_startup) and id(built_at_startup) not in _collected()
        assert client.post("/v1/advice", json={"task": "Label tickets", "examples": 40}).status_code == 201
        made_later = {"after": ["start-up"]}
        assert id(made_later) in _collected()
    assert gc.get_freeze_count() == 0  # the lifespan's end gives them back to the collector
    assert id(built_at_startup) in _collected()
    app.state.database.dispose()


def test_importing_the_service_leaves_the_collector_as_it_found_it() -> None:
    script = "import gc, sys; gc.enable() if sys.argv[1] == 'on' else gc.disable(); import service.main; print(gc.isenabled())"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for state, expected in (("on", "True"), ("off", "False")):
        done = subprocess.run([sys.executable, "-c", script, state], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        assert done.stdout.strip() == expected


def test_a_process_that_builds_many_apps_can_leave_the_heap_alone(settings: Settings) -> None:
    # What is frozen already (the import's freeze, unless an earlier app in this process thawed it) stays as it is:
    # the count depends on which tests ran before in this process, not on this app.
    frozen = gc.get_freeze_count()
    app = create_app(settings.model_copy(update={"freeze_heap": False}), clock=lambda: dt.date(2026, 11, 24))
    with TestClient(app) as client:
        assert gc.get_freeze_count() == frozen
        assert client.get("/healthz").status_code == 200
    assert gc.get_freeze_count() == frozen
    app.state.database.dispose()
