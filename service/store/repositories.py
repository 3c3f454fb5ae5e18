"""Repositories: the only code that writes SQL for a table. Every query is scoped to a tenant."""

from __future__ import annotations

import base64
from sqlalchemy import select
from sqlalchemy.orm import Session

from service.errors import ValidationFailed
from service.store.models import AdviceRow


def encode_cursor(seq: int) -> str:
    return base64.urlsafe_b64encode(f"s{seq}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        if not raw.startswith("s"):
            raise ValueError(raw)
        return int(raw[1:])
    except ValueError as exc:
        raise ValidationFailed(
            "The cursor is not one this service issued; pass next_cursor from the previous page.",
            code="invalid_cursor",
            field="cursor",
        ) from exc


class AdviceRepository:
    def __init__(self, session: Session, tenant_id: str) -> None:
        self.session = session
        self.tenant_id = tenant_id

    def add(self, row: AdviceRow) -> AdviceRow:
        row.tenant_id = self.tenant_id
        self.session.add(row)
        self.session.commit()
        return row

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
