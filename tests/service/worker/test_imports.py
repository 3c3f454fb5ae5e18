"""The API process starts and serves without the vector store or a model: those live in the worker."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("chromadb", "torch", "sentence_transformers", "transformers", "huey")
SERVE = """
import sys
from fastapi.testclient import TestClient
from service.config import Settings
from service.main import create_app

with TestClient(create_app(Settings(data_dir=sys.argv[1], worker_wait_seconds=0))) as client:
    assert client.get("/readyz").json()["checks"]["worker"] == "down"
    profile = {"task": "Route support tickets", "provider": "openai", "examples": 40, "personalization": True}
    examples = [{"input": f"ticket {i}", "output": "billing"} for i in range(6)]
    assert client.post("/v1/advice", json={"profile": profile, "artifact": True, "examples": examples}).status_code == 201
"""


def _loaded(script: str, *args: str) -> list[str]:
    report = f"\nprint(' '.join(name for name in {HEAVY!r} if name in sys.modules))\n"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", script + report, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


def test_importing_the_api_loads_no_store_and_no_model() -> None:
    assert _loaded("import sys, service.main") == []


def test_serving_advice_loads_no_store_and_no_model(tmp_path: Path) -> None:
    assert _loaded(SERVE, str(tmp_path)) == []
