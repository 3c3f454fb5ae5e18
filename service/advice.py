"""The advice use case: profile -> verdict -> stored advice."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from sqlalchemy.orm import Session

from knowledge.loader import default_catalog
from rules.engine import decide
from rules.facts import Profile
from service.errors import NotFound
from service.schemas import AdviceOut, AdvicePage, AdviceRequest
from service.store.models import AdviceRow, utcnow
from service.store.repositories import AdviceRepository

Clock = Callable[[], dt.date]


def as_request(body: AdviceRequest | Profile) -> AdviceRequest:
    """A bare profile is a request without material."""
    return body if isinstance(body, AdviceRequest) else AdviceRequest(profile=body)


def create_advice(session: Session, tenant_id: str, body: AdviceRequest | Profile, today: Clock) -> AdviceOut:
    """Decide, store the verdict with its profile, and return it."""
    request = as_request(body)
    verdict = decide(request.profile, default_catalog(), today=today())
    row = AdviceRow(
        id=str(uuid.uuid4()),
        created_at=utcnow(),
        strategy=verdict.strategy,
        task=request.profile.task,
        profile=request.profile.model_dump(mode="json"),
        verdict=verdict.model_dump(mode="json", by_alias=True),
        request=request.model_dump(mode="json", exclude={"profile"}, exclude_none=True),
        rules_version=verdict.rules_version,
        catalog_as_of=verdict.catalog_as_of,
    )
    AdviceRepository(session, tenant_id).add(row)
    return to_out(row)


def to_out(row: AdviceRow) -> AdviceOut:
    return AdviceOut.model_validate({**row.verdict, "id": row.id, "created_at": row.created_at, "profile": row.profile})


def get_advice(session: Session, tenant_id: str, advice_id: str) -> AdviceOut:
    row = AdviceRepository(session, tenant_id).get(advice_id)
    if row is None:
        raise NotFound(f"No advice with id {advice_id!r}; list yours with GET /v1/advice.", code="advice_not_found")
    return to_out(row)


def list_advice(session: Session, tenant_id: str, limit: int, cursor: str | None) -> AdvicePage:
    rows, next_cursor = AdviceRepository(session, tenant_id).page(limit, cursor)
    return AdvicePage(items=[to_out(row) for row in rows], next_cursor=next_cursor)
