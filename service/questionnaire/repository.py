"""Questionnaire sessions of one tenant.

Core statements, not the ORM: a session is read and written on every answer, and the ORM's unit of work
(identity map, flush, change tracking) cost more than the rest of an answer (bench/interfaces.py).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import RowMapping

from service.store.models import QuestionnaireSessionRow
from service.store.repository import TenantRepository


class QuestionnaireRepository(TenantRepository[QuestionnaireSessionRow]):
    row = QuestionnaireSessionRow

    def load(self, session_id: str, *, lock: bool = False) -> RowMapping | None:
        """The stored session as a mapping; ``lock`` holds it until commit, so two answers apply one after the other."""
        return self._core_one(session_id, lock=lock)

    def insert(self, values: dict[str, Any]) -> None:
        self._core_insert(values)

    def save(self, session_id: str, values: dict[str, Any]) -> None:
        self._core_update(session_id, values)
