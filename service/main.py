"""create_app(settings) -> FastAPI. Nothing happens at import time."""

from __future__ import annotations

import datetime as dt
import logging

from fastapi import FastAPI

from service.api import advice, datasets, health, knowledge_bases, problems, prompts, rules, tuning_jobs
from service.config import Settings, get_settings
from service.limits import BodyLimit
from service.providers.factory import tuning_clients
from service.store.db import Database, upgrade

API_DESCRIPTION = (
    "Ask before you spend weeks on an LLM feature: prompting, RAG, fine-tuning, or RAG + fine-tuning. "
    "Every verdict cites the rules that fired and the guide section each comes from."
)


def create_app(settings: Settings | None = None, *, clock: object = None) -> FastAPI:
    """Build the app: open the store (running migrations), mount routes and error handlers."""
    settings = settings or get_settings()
    settings.ensure_dirs()
    logging.basicConfig(level=settings.log_level)
    database = Database(settings.resolved_database_url)
    upgrade(database.engine)

    app = FastAPI(title="Tuning Advisor", version="0.1.0", description=API_DESCRIPTION)
    app.state.settings = settings
    app.state.database = database
    app.state.clock = clock or dt.date.today
    app.state.tuning_clients = tuning_clients(settings)
    problems.install(app)
    for module in (health, advice, rules, datasets, tuning_jobs, knowledge_bases, prompts):
        app.include_router(module.router)
    app.add_middleware(BodyLimit, max_body=settings.max_body_bytes, max_upload=settings.max_upload_mb * 1024 * 1024)
    return app
