"""API keys per tenant and rate limits (being built)."""

from __future__ import annotations

from fastapi import FastAPI

from service.config import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Set up key lookup and the rate limiter on ``app.state``."""
