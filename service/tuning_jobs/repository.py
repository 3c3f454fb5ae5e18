"""Tuning jobs of one tenant."""

from __future__ import annotations

from service.store.models import TuningJobRow
from service.store.repository import TenantRepository


class TuningJobRepository(TenantRepository[TuningJobRow]):
    row = TuningJobRow

    def by_idempotency_key(self, key: str) -> TuningJobRow | None:
        return self.session.scalars(self._select().where(TuningJobRow.idempotency_key == key)).first()
