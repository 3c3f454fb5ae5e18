"""`advisor keys ...` on the server's database, and `advisor serve --host` turning auth on beyond loopback."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from service.cli import app as cli
from service.config import get_settings
from tests.service.auth.conftest import auth_app, bearer
from tests.service.worker.process import free_port


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def test_create_prints_the_key_once_and_list_shows_only_prefixes(data_dir: Path) -> None:
    runner = CliRunner()
    created = runner.invoke(cli, ["keys", "create", "--tenant", "acme", "--name", "ci"])
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    assert key.startswith("adv_") and "\n" not in key
    assert "not kept" in created.stderr
    prefix = key.split("_")[1]
    listed = runner.invoke(cli, ["keys", "list", "--tenant", "acme"])
    assert listed.exit_code == 0 and prefix in listed.stdout and "active" in listed.stdout
    assert key.split("_", 2)[2] not in listed.stdout
    assert "no keys" in runner.invoke(cli, ["keys", "list", "--tenant", "other"]).stdout

    app = auth_app(data_dir)
    with TestClient(app) as client:
        assert client.get("/v1/advice", headers=bearer(key)).status_code == 200
    app.state.database.dispose()

    revoked = runner.invoke(cli, ["keys", "revoke", prefix])
    assert revoked.exit_code == 0 and "revoked" in revoked.stdout
    assert "revoked" in runner.invoke(cli, ["keys", "list"]).stdout
    app = auth_app(data_dir)
    with TestClient(app) as client:
        assert client.get("/v1/advice", headers=bearer(key)).json()["code"] == "invalid_api_key"
    app.state.database.dispose()


def test_cli_errors_exit_non_zero(data_dir: Path) -> None:
    runner = CliRunner()
    bad = runner.invoke(cli, ["keys", "create", "--tenant", "no spaces please"])
    assert bad.exit_code == 2 and "tenant" in bad.stderr
    missing = runner.invoke(cli, ["keys", "revoke", "0123456789ab"])
    assert missing.exit_code == 1 and "advisor keys list" in missing.stderr


def _serve(host: str, port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("ADVISOR_AUTH", "ADVISOR_HOST")}
    env["ADVISOR_DATA_DIR"] = str(data_dir)
    command = [str(Path(sys.executable).parent / "advisor"), "serve", "--host", host, "--port", str(port), "--no-worker"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"advisor serve exited: {process.stderr.read().decode()[-2000:] if process.stderr else ''}")
        try:
            if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("advisor serve did not answer /healthz")


@pytest.mark.parametrize(("host", "status"), [("127.0.0.2", 401), ("127.0.0.1", 200)])
def test_serve_turns_auth_on_for_a_host_other_than_loopback(tmp_path: Path, host: str, status: int) -> None:
    # 127.0.0.2 is reachable here yet not one of the loopback names, so `auto` must treat it as exposed.
    port = free_port()
    process = _serve(host, port, tmp_path / "data")
    try:
        _wait(f"http://{host}:{port}", process)
        answer = httpx.get(f"http://{host}:{port}/v1/advice", timeout=5)
    finally:
        process.terminate()
        process.wait(timeout=30)
    assert answer.status_code == status
    if status == 401:
        assert answer.json()["code"] == "missing_api_key"
