"""API keys: a tenant's own keys, and the lookups that must run before the tenant is known."""

from __future__ import annotations

from service.store.models import ApiKeyRow
from service.store.repository import SystemQueries, TenantRepository


class ApiKeyRepository(TenantRepository[ApiKeyRow]):
    row = ApiKeyRow

    def oldest_first(self) -> list[ApiKeyRow]:
        return self.rows(ApiKeyRow.created_at)


class ApiKeySystemQueries(SystemQueries):
    """A request's key names its tenant, so finding the key cannot be scoped to one; the operator CLI sees all keys."""

    def all_tenants_by_prefix(self, prefix: str) -> ApiKeyRow | None:
        return self.session.scalars(self._select_all_tenants(ApiKeyRow).where(ApiKeyRow.prefix == prefix)).first()

    def all_tenants_oldest_first(self) -> list[ApiKeyRow]:
        return list(self.session.scalars(self._select_all_tenants(ApiKeyRow).order_by(ApiKeyRow.created_at)))
