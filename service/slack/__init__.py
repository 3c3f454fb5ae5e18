"""Slack bot backend: slack-bolt mounted on the FastAPI app at /slack/events (being built)."""

from __future__ import annotations

from fastapi import FastAPI

from service.config import Settings


def install(app: FastAPI, settings: Settings) -> None:
    """Mount /slack/events when a signing secret is configured."""
