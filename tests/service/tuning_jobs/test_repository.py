"""A tuning job's Idempotency-Key belongs to its tenant: the same key of another tenant finds nothing."""

from __future__ import annotations

from service.store.models import TuningJobRow
from service.tuning_jobs.repository import TuningJobRepository
from tests.service.store.scoped import migrated, new_row, unique


def test_an_idempotency_key_is_looked_up_within_the_tenant(database_url: str) -> None:
    a, b, key = unique("tenant-a"), unique("tenant-b"), unique("job")
    with migrated(database_url) as database, database.session() as session:
        TuningJobRepository(session, a).add(new_row(TuningJobRow, key))
        session.commit()
        found = TuningJobRepository(session, a).by_idempotency_key(key)
        assert found is not None and found.id == key
        assert TuningJobRepository(session, b).by_idempotency_key(key) is None
