"""Slack deliveries of one tenant (the tenant a workspace is configured for)."""

from __future__ import annotations

from service.store.models import SlackDeliveryRow
from service.store.repository import TenantRepository


class SlackDeliveryRepository(TenantRepository[SlackDeliveryRow]):
    row = SlackDeliveryRow
    key = "key"  # Slack's event id or trigger id

    def note(self, key: str, *, advice_id: str | None, channel: str, message_ts: str | None) -> None:
        """What a claimed delivery produced."""
        self._core_update(key, {"advice_id": advice_id, "channel": channel, "message_ts": message_ts})
