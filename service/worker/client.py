"""The API's way to the worker: a small JSON call on loopback, with errors a user can act on."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from service.config import Settings
from service.errors import AdvisorError, ServiceUnavailable
from service.worker.server import worker_file

TIMEOUT_SECONDS = 60.0


class WorkerUnavailable(ServiceUnavailable):
    code = "worker_unavailable"


def worker_url(settings: Settings) -> str:
    if settings.worker_url:
        return settings.worker_url.rstrip("/")
    try:
        return str(json.loads(worker_file(settings.data_dir).read_text(encoding="utf-8"))["url"])
    except (OSError, ValueError, KeyError) as exc:
        raise WorkerUnavailable(
            "No worker is running for this data dir; start it with `advisor worker` (`make run` starts one)."
        ) from exc


def call(settings: Settings, operation: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST ``body`` to the worker's ``operation``; its errors come back as AdvisorError."""
    url = worker_url(settings)
    try:
        response = httpx.post(f"{url}/{operation}", json=body, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        raise WorkerUnavailable(f"The worker at {url} did not answer; is `advisor worker` running?") from exc
    payload: dict[str, Any] = response.json()
    if response.status_code != 200:
        raise AdvisorError(
            payload.get("detail", "worker error"), code=payload.get("code", "worker_error"), status=response.status_code
        )
    return payload


def worker_embed(settings: Settings) -> Callable[[list[str]], list[list[float]]]:
    """Embeddings computed by the worker process (cached there per text); the API never loads a model."""

    def embed(texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = call(settings, "embed", {"texts": texts, "model": None})["vectors"]
        return vectors

    return embed


def worker_running(settings: Settings) -> bool:
    """True when a worker answers; a few ms on loopback."""
    try:
        call(settings, "health", {})
    except AdvisorError:
        return False
    return True
