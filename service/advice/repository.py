"""Stored advice of one tenant: the hot insert and the cursor-paged list."""

from __future__ import annotations

import re
from typing import Any

from service.errors import ValidationFailed
from service.store.models import AdviceRow
from service.store.repository import TenantRepository

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


class AdviceRepository(TenantRepository[AdviceRow]):
    row = AdviceRow

    def insert(self, values: dict[str, Any]) -> None:
        """Insert one advice; a Core insert, since this is the hottest write of the service."""
        self._core_insert(values)

    def page(self, limit: int, cursor: str | None) -> tuple[list[AdviceRow], str | None]:
        """Newest first; ``cursor`` continues after the last row of the previous page."""
        query = self._select()
        if cursor:
            query = query.where(AdviceRow.seq < decode_cursor(cursor))
        rows = list(self.session.scalars(query.order_by(AdviceRow.seq.desc()).limit(limit + 1)))
        more = len(rows) > limit
        rows = rows[:limit]
        return rows, encode_cursor(rows[-1].seq) if more and rows else None
