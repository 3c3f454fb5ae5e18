"""Datasets of one tenant, and the one query across tenants: the folders the start-up sweep keeps."""

from __future__ import annotations

from pathlib import Path

from service.store.models import DatasetRow
from service.store.repository import SystemQueries, TenantRepository


class DatasetRepository(TenantRepository[DatasetRow]):
    row = DatasetRow


class DatasetSystemQueries(SystemQueries):
    def all_tenants_upload_folders(self) -> list[str]:
        """The folder name of every stored dataset, whoever owns it: the orphan sweep must keep them all."""
        return [Path(path).parent.name for path in self.session.scalars(self._select_all_tenants(DatasetRow.path))]
