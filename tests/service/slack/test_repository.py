"""A delivery's outcome is noted only on the delivery of the workspace's own tenant."""

from __future__ import annotations

from service.slack.repository import SlackDeliveryRepository
from service.store.models import SlackDeliveryRow
from tests.service.store.scoped import migrated, new_row, unique


def test_a_note_through_another_tenant_changes_nothing(database_url: str) -> None:
    a, b, key = unique("tenant-a"), unique("tenant-b"), unique("Ev")
    with migrated(database_url) as database, database.session() as session:
        SlackDeliveryRepository(session, a).add(new_row(SlackDeliveryRow, key))
        session.commit()
        SlackDeliveryRepository(session, b).note(key, advice_id="other", channel="C9", message_ts="1.0")
        SlackDeliveryRepository(session, a).note(key, advice_id="mine", channel="C1", message_ts="2.0")
        session.commit()
        session.expire_all()
        row = SlackDeliveryRepository(session, a).get(key)
        assert row is not None and (row.advice_id, row.channel, row.message_ts) == ("mine", "C1", "2.0")
