"""Repositories: the only code that writes SQL for a table. Every query is scoped to a tenant."""

from __future__ import annotations

import re
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from service.errors import ValidationFailed
from service.store.models import AdviceRow

ADVICE_INSERT = insert(cast(Table, AdviceRow.__table__))
CURSOR_PATTERN = r"^c[0-9]{1,18}$"


def encode_cursor(seq: int) -> str:
    return f"c{seq}"


def decode_cursor(cursor: str) -> int:
    if not re.fullmatch(CURSOR_PATTERN, cursor):
        raise ValidationFailed(
            "The cursor is not one this service issued; pass next_cursor from the previous page.",
            code="invalid_cursor",
            field="cursor",
        )
    return int(cursor[1:])


class AdviceRepository:
    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def add(self, values: dict[str, Any]) -> None:
        """Insert one advice; a Core insert, since this is the hottest write of the service."""
        self.session.connection().execute(ADVICE_INSERT, {**values, "tenant_id": self.tenant_id})
        self.session.commit()

    def get(self, advice_id: str) -> AdviceRow | None:
        query = select(AdviceRow).where(AdviceRow.id == advice_id, AdviceRow.tenant_id == self.tenant_id)
        return self.session.scalars(query).first()

    def page(self, limit: int, cursor: str | None) -> tuple[list[AdviceRow], str | None]:
        """Newest first; ``cursor`` continues after the last row of the previous page."""
        query = select(AdviceRow).where(AdviceRow.tenant_id == self.tenant_id)
        if cursor:
            query = query.where(AdviceRow.seq < decode_cursor(cursor))
        rows = list(self.session.scalars(query.order_by(AdviceRow.seq.desc()).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1].seq) if more and rows else None
