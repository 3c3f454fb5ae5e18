"""Stored advice of one tenant: the hot insert and the cursor-paged list."""

from __future__ import annotations

from typing import Any

from service.store import cursors
from service.store.models import AdviceRow
from service.store.repository import TenantRepository

CURSOR_KIND = "advice"


class AdviceRepository(TenantRepository[AdviceRow]):
    row = AdviceRow

    def insert(self, values: dict[str, Any]) -> None:
        """Insert one advice; through the driver (SQLite) or a Core insert, since this is the hottest write of the service."""
        self._driver_insert(values)

    def page(self, limit: int, cursor: str | None) -> tuple[list[AdviceRow], str | None]:
        """Newest first; ``cursor`` continues after the last row of the previous page."""
        query = self._select()
        if cursor is not None:
            # The cursor names the last advice shown; its place in the (tenant_id, seq) index is looked up here, so
            # the global sequence never leaves the store, and an advice of another tenant is not found.
            _, last = cursors.decode(CURSOR_KIND, self.tenant_id, cursor)
            seq = self.session.scalar(self._select(AdviceRow.seq).where(AdviceRow.id == last))
            if seq is None:
                raise cursors.invalid()
            query = query.where(AdviceRow.seq < seq)
        rows = list(self.session.scalars(query.order_by(AdviceRow.seq.desc()).limit(limit + 1)))
        return self._cut(CURSOR_KIND, rows, limit)
