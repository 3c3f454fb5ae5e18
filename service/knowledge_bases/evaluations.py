"""Evaluations of a knowledge base, kept so an advice can quote the last one.

Each evaluation is stored as a finished job of kind ``evaluation`` (no schema change): its result is
the metrics, its payload the number of questions and the first few of them (a RAG artifact uses one
as the example question of its grounded prompt).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from service.store.models import JobRow, KnowledgeBaseRow, utcnow

KIND = "evaluation"
KEPT_QUESTIONS = 5


def record(session: Session, kb: KnowledgeBaseRow, items: Sequence[Mapping[str, Any]], metrics: dict[str, Any]) -> JobRow:
    now = utcnow()
    row = JobRow(
        id=str(uuid.uuid4()),
        tenant_id=kb.tenant_id,
        kind=KIND,
        kb_id=kb.id,
        state="succeeded",
        done=len(items),
        total=len(items),
        attempts=1,
        payload={"questions": len(items), "sample": [str(item["q"]) for item in items[:KEPT_QUESTIONS]]},
        result=metrics,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    session.commit()
    return row


def last(session: Session, kb: KnowledgeBaseRow) -> JobRow | None:
    query = (
        select(JobRow)
        .where(JobRow.kb_id == kb.id, JobRow.tenant_id == kb.tenant_id, JobRow.kind == KIND)
        .order_by(JobRow.created_at.desc())
        .limit(1)
    )
    return session.scalars(query).first()
