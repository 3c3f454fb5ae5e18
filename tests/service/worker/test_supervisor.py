"""`advisor serve` restarts a worker that dies, with backoff, says so once per restart, and /readyz reports it."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from service.config import Settings
from service.worker.client import read_supervisor, supervisor_file
from service.worker.supervisor import Backoff, Supervisor, describe_exit
from tests.service.worker.process import free_port

ROOT = Path(__file__).resolve().parents[3]


def test_backoff_doubles_to_the_cap_and_resets_after_a_healthy_run() -> None:
    backoff = Backoff(cap=30, healthy_after=60)
    assert [backoff.next_delay(uptime=2) for _ in range(8)] == [1, 2, 4, 8, 16, 30, 30, 30]
    assert backoff.next_delay(uptime=61) == 1, "a worker that stayed up a minute starts the sequence again"
    assert backoff.next_delay(uptime=0.5) == 2


def test_exit_codes_name_the_signal() -> None:
    assert describe_exit(-9) == "code -9 (SIGKILL)"
    assert describe_exit(3) == "code 3"


def test_a_crashing_worker_is_restarted_and_each_restart_logged_once(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(data_dir=tmp_path, worker_restart_max_seconds=0.05)
    supervisor = Supervisor(settings, [sys.executable, "-c", "import sys; sys.exit(3)"])
    with caplog.at_level(logging.INFO, logger="service.supervisor"):
        supervisor.start()
        try:
            deadline = time.monotonic() + 60
            while supervisor.restarts < 4 and time.monotonic() < deadline:
                time.sleep(0.05)
            state = read_supervisor(tmp_path)
        finally:
            supervisor.stop()
    assert supervisor.restarts >= 4
    lines = [r.getMessage() for r in caplog.records if r.name == "service.supervisor"]
    assert len(lines) == supervisor.restarts, lines
    assert all("exited with code 3" in line for line in lines)
    assert state is not None and state.state == "restarting" and state.restarts >= 4 and state.last_exit == 3
    assert not supervisor_file(tmp_path).exists(), "a stopped supervisor leaves no state behind"


def test_a_stale_state_file_of_a_dead_serve_is_ignored(tmp_path: Path) -> None:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    supervisor_file(tmp_path).write_text(json.dumps({"pid": dead.pid, "state": "restarting", "restarts": 5}))
    assert read_supervisor(tmp_path) is None


def _get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=5)
    except httpx.HTTPError:
        return None


def _answers(url: str, status: int) -> Any:
    response = _get(url)
    return response if response is not None and response.status_code == status else None


def _until(condition: Any, what: str, timeout: float = 180) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def test_serve_restarts_a_killed_worker_and_search_works_again(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {key: value for key, value in os.environ.items() if not key.startswith("ADVISOR_")}
    env.update(ADVISOR_DATA_DIR=str(tmp_path), ADVISOR_LOG_FORMAT="text", PYTHONPATH=str(ROOT), HF_HUB_OFFLINE="1")
    log_path = tmp_path / "serve.log"
    with log_path.open("wb") as log:
        serve = subprocess.Popen(
            [sys.executable, "-c", "from service.cli import app; app()", "serve", "--port", str(port)],
            env=env,
            stdout=log,
            stderr=log,
        )
    try:
        ready = _until(lambda: _answers(f"{base}/readyz?require=worker", 200), "serve")
        assert ready.json()["checks"] == {"database": "ok", "worker": "ok", "restarts": 0}
        assert httpx.post(f"{base}/v1/knowledge-bases", json={"name": "kb"}).status_code == 201
        files = {"files": ("forms.md", b"# Forms\n\nRequests of kind qx7z are filed on form 700.")}
        job = httpx.post(f"{base}/v1/knowledge-bases/kb/documents", files=files).json()
        _until(lambda: httpx.get(f"{base}/v1/jobs/{job['id']}").json()["state"] == "succeeded", "the ingestion")

        first = json.loads((tmp_path / "worker.json").read_text())["pid"]
        os.kill(first, signal.SIGKILL)
        down = _until(lambda: _answers(f"{base}/readyz", 503), "readyz to say so")
        assert down.json()["code"] == "worker_restarting"
        assert down.json()["errors"] == [{"check": "worker", "database": "ok", "worker": "restarting", "restarts": 1}]

        back = _until(lambda: _answers(f"{base}/readyz?require=worker", 200), "the worker")
        assert back.json()["checks"]["restarts"] == 1
        state = read_supervisor(tmp_path)
        assert state is not None and state.worker_pid != first and state.last_exit == -signal.SIGKILL
        hits = httpx.post(f"{base}/v1/knowledge-bases/kb/query", json={"q": "how are qx7z requests filed?", "k": 1}, timeout=60)
        assert hits.status_code == 200 and hits.json()["hits"][0]["doc"] == "forms.md"
    finally:
        serve.terminate()
        serve.wait(timeout=60)
    text = log_path.read_text()
    restarts = [line for line in text.splitlines() if "restarting it in" in line]
    assert len(restarts) == 1 and "code -9 (SIGKILL)" in restarts[0], text[-3000:]
    assert not (tmp_path / "supervisor.json").exists()
