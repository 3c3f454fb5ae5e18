"""A real worker process (real Chroma, real bundled model) beside the API under test."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from fastapi.testclient import TestClient

from service.config import Settings
from service.main import create_app
from tests.conftest import TODAY

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


class Worker:
    """`python -m service.worker` on a data dir; start, kill and restart it like an operator would."""

    def __init__(self, data_dir: Path, extra_env: dict[str, str] | None = None, threads: int = 1) -> None:
        self.data_dir = data_dir
        # `python -m service.worker` runs one thread; more is `advisor worker --threads N`, as an operator starts it.
        self.command = (
            [sys.executable, "-m", "service.worker"]
            if threads == 1
            else [sys.executable, "-c", "from service.cli import app; app()", "worker", "--threads", str(threads)]
        )
        self.env = {
            **os.environ,
            "ADVISOR_DATA_DIR": str(data_dir),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            **(extra_env or {}),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 120.0) -> None:
        address = self.data_dir / "worker.json"
        address.unlink(missing_ok=True)
        log = (self.data_dir / "worker.log").open("ab")
        self.process = subprocess.Popen(self.command, env=self.env, stdout=log, stderr=log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"worker exited: {(self.data_dir / 'worker.log').read_text()[-2000:]}")
            if address.exists():
                try:
                    url = json.loads(address.read_text())["url"]
                    if httpx.post(f"{url}/health", json={}, headers=self.headers(), timeout=2).status_code == 200:
                        return
                except (ValueError, KeyError, httpx.HTTPError):
                    pass
            time.sleep(0.2)
        raise RuntimeError("worker did not start in time")

    def headers(self) -> dict[str, str]:
        secret = self.env.get("ADVISOR_WORKER_SECRET")
        return {"authorization": f"Bearer {secret}"} if secret else {}

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_job(client: TestClient, job_id: str, timeout: float = 180.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = client.get(f"/v1/jobs/{job_id}").json()
        if job["state"] in ("succeeded", "failed"):
            return dict(job)
        time.sleep(0.2)
    raise AssertionError(f"job {job_id} did not finish: {job}")


def api_for(data_dir: Path, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(data_dir=data_dir, **settings), clock=lambda: TODAY))
