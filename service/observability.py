"""Request ids, structured JSON logs and Prometheus metrics (being built)."""

from __future__ import annotations

from fastapi import FastAPI

from service.config import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Add the request-id/logging/metrics middleware."""
