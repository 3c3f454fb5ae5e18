"""A migrated store on the test's backend and one row per table, for the repository tests of every domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from service.store.db import Database, upgrade
from service.store.models import (
    AdviceRow,
    ApiKeyRow,
    Base,
    DatasetRow,
    QuestionnaireSessionRow,
    SlackDeliveryRow,
    TuningJobRow,
    utcnow,
)


@contextmanager
def migrated(url: str) -> Iterator[Database]:
    database = Database(url)
    upgrade(database.engine)
    try:
        yield database
    finally:
        database.dispose()


def unique(prefix: str) -> str:
    """Names unique per test: the PostgreSQL schema is shared by the whole test session."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def new_row(model: type[Base], key: str) -> Any:
    """A valid row of ``model`` with ``key`` as its lookup key and no tenant (the repository stamps it)."""
    now = utcnow()
    if model is AdviceRow:
        return AdviceRow(
            id=key,
            created_at=now,
            strategy="rag",
            task="t",
            profile={},
            verdict={},
            request={},
            rules_version="v",
            catalog_as_of="2026-11-01",
        )
    if model is DatasetRow:
        return DatasetRow(
            id=key, filename="f.jsonl", sha256="0" * 64, size_bytes=1, path=f"/x/{key}/f.jsonl", provider="openai", report={}
        )
    if model is TuningJobRow:
        return TuningJobRow(id=key, provider="openai", status="draft", spec={}, provider_files={}, idempotency_key=key)
    if model is QuestionnaireSessionRow:
        return QuestionnaireSessionRow(id=key, lang="en", status="asking", answers={}, asked=[], created_at=now, updated_at=now)
    if model is SlackDeliveryRow:
        return SlackDeliveryRow(key=key, team_id="T1")
    if model is ApiKeyRow:
        return ApiKeyRow(id=key, name="", prefix=key[-12:], key_hash="sha256$x")
    raise AssertionError(model)
