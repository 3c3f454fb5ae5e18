"""Experiments of one tenant, and the results of their items."""

from __future__ import annotations

import datetime as dt

from service.store.models import ExperimentResultRow, ExperimentRow, utcnow
from service.store.repository import SystemQueries, TenantRepository


class ExperimentRepository(TenantRepository[ExperimentRow]):
    row = ExperimentRow

    def newest(self, limit: int) -> list[ExperimentRow]:
        return self.rows(ExperimentRow.created_at.desc(), ExperimentRow.id, limit=limit)

    def count_done(self, experiment_id: str) -> None:
        """One more call finished: an atomic increment, so threads and workers never lose a count."""
        statement = self._update().where(ExperimentRow.id == experiment_id)
        self.session.execute(statement.values(done=ExperimentRow.done + 1, updated_at=utcnow()))

    def estimates_since(self, start: dt.datetime) -> list[float]:
        """The estimated USD of every experiment accepted since ``start`` (the tenant's budget counts these)."""
        query = self._select(ExperimentRow.estimate_usd).where(ExperimentRow.created_at >= start)
        return [value for value in self.session.scalars(query) if value is not None]


class ResultRepository(TenantRepository[ExperimentResultRow]):
    row = ExperimentResultRow
    key = "experiment_id"

    def of(self, experiment_id: str) -> list[ExperimentResultRow]:
        query = self._select().where(ExperimentResultRow.experiment_id == experiment_id)
        return list(self.session.scalars(query.order_by(ExperimentResultRow.candidate, ExperimentResultRow.item)))

    def finished(self, experiment_id: str, candidate: str) -> set[int]:
        query = self._select(ExperimentResultRow.item).where(
            ExperimentResultRow.experiment_id == experiment_id, ExperimentResultRow.candidate == candidate
        )
        return set(self.session.scalars(query))


class ExperimentSystemQueries(SystemQueries):
    def all_tenants_unfinished(self) -> list[str]:
        """Experiments a dead worker left queued or running, oldest first: a starting worker resumes them."""
        query = self._select_all_tenants(ExperimentRow.id).where(ExperimentRow.state.in_(("queued", "running")))
        return list(self.session.scalars(query.order_by(ExperimentRow.created_at)))
