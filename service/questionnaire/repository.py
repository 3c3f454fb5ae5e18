"""Questionnaire sessions of one tenant.

Core statements, not the ORM: a session is read and written on every answer, and the ORM's unit of work
(identity map, flush, change tracking) cost more than the rest of an answer (bench/interfaces.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.engine import RowMapping

from service.store.models import QuestionnaireSessionRow
from service.store.repository import TenantRepository


class QuestionnaireRepository(TenantRepository[QuestionnaireSessionRow]):
    row = QuestionnaireSessionRow

    def load(self, session_id: str) -> RowMapping | None:
        """The stored session as a mapping (a plain read: no lock)."""
        return self._core_one(session_id)

    def insert(self, values: dict[str, Any]) -> None:
        self._core_insert(values)

    def save_if(self, session_id: str, values: dict[str, Any], read: dt.datetime) -> bool:
        """Write ``values`` (with a new ``updated_at``) if the session's ``updated_at`` is still ``read``; False, and
        nothing written, when another request changed the session since it was read."""
        return self._core_update_unchanged(session_id, values, read)
