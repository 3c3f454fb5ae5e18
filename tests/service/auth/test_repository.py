"""Keys: a tenant lists only its own; the prefix lookup (before any tenant is known) finds a key of any tenant."""

from __future__ import annotations

from service.auth.repository import ApiKeyRepository, ApiKeySystemQueries
from service.auth.service import issue, list_keys
from tests.service.store.scoped import migrated, unique


def test_keys_are_listed_per_tenant_and_found_by_prefix_across_tenants(database_url: str) -> None:
    a, b = unique("tenant-a"), unique("tenant-b")
    with migrated(database_url) as database, database.session() as session:
        first, second = issue(session, a, "one"), issue(session, b, "two")
        assert [row.prefix for row in ApiKeyRepository(session, a).oldest_first()] == [first.prefix]
        assert [(key.prefix, key.tenant) for key in list_keys(session, b)] == [(second.prefix, b)]
        everyone = {key.prefix for key in list_keys(session)}
        assert {first.prefix, second.prefix} <= everyone
        found = ApiKeySystemQueries(session).all_tenants_by_prefix(second.prefix)
        assert found is not None and found.tenant_id == b
        assert ApiKeyRepository(session, a).get(found.id) is None
