"""Datasets of one tenant, and the queries across tenants: the folders the start-up sweep keeps, and the
abandoned uploads the TTL sweep deletes."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from service.store.models import DatasetRow, TuningJobRow
from service.store.repository import SystemQueries, TenantRepository

CURSOR_KIND = "datasets"


class DatasetRepository(TenantRepository[DatasetRow]):
    row = DatasetRow

    def stored_bytes(self) -> int:
        """What this tenant's datasets take on disk (the uploads; converted copies are not counted)."""
        return self.total(DatasetRow.size_bytes)

    def page(self, limit: int, cursor: str | None) -> tuple[list[DatasetRow], str | None]:
        return self.newest_page(CURSOR_KIND, limit, cursor)


class DatasetSystemQueries(SystemQueries):
    def all_tenants_upload_folders(self) -> list[str]:
        """The folder name of every stored dataset, whoever owns it: the orphan sweep must keep them all."""
        return [Path(path).parent.name for path in self.session.scalars(self._select_all_tenants(DatasetRow.path))]

    def all_tenants_abandoned(self, uploaded_before: dt.datetime) -> list[tuple[str, str]]:
        """(id, path) of every dataset uploaded before then that no tuning job names, whoever owns it."""
        used = self._select_all_tenants(TuningJobRow.dataset_id).where(TuningJobRow.dataset_id.is_not(None))
        query = self._select_all_tenants(DatasetRow.id, DatasetRow.path).where(
            DatasetRow.created_at < uploaded_before, DatasetRow.id.not_in(used)
        )
        return [(row_id, path) for row_id, path in self.session.execute(query)]

    def all_tenants_delete_unused(self, dataset_id: str) -> bool:
        """Delete the dataset unless a tuning job names it now (one may have been created since it was found)."""
        used = self._select_all_tenants(TuningJobRow.dataset_id).where(TuningJobRow.dataset_id == dataset_id)
        statement = self._delete_all_tenants(DatasetRow).where(DatasetRow.id == dataset_id, ~used.exists())
        return bool(getattr(self.session.execute(statement), "rowcount", 0))
