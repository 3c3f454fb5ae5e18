"""What an artifact is built from besides the verdict: the material a request names (examples, a dataset, the tenant's
knowledge base), read from the store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from rules.facts import Profile
from service.advice.schemas import AdviceRequest
from service.artifacts.registry import ArtifactContext, builders_for
from service.artifacts.schemas import Artifact
from service.datasets.schemas import DatasetReport
from service.errors import NotFound
from service.knowledge_bases import service as kb_service
from service.knowledge_bases.grounding import CitedChunk, grounded_prompt
from service.store.models import KnowledgeBaseRow

Search = Callable[[str, str, int], Sequence[CitedChunk]]  # (kb id, question, k) -> hits, from the worker
GROUNDED_HITS = 5


def _own_kb(session: Session, tenant_id: str, ref: str) -> KnowledgeBaseRow:
    """The tenant's knowledge base by id or name; another tenant's is as unknown as a missing one (404, field named)."""
    try:
        return kb_service.get_kb(session, tenant_id, ref)
    except NotFound as exc:
        raise NotFound(
            f"No knowledge base {ref!r} for this API key; list yours with GET /v1/knowledge-bases.",
            code="knowledge_base_not_found",
            field="knowledge_base",
        ) from exc


def _knowledge_base(
    session: Session, tenant_id: str, ref: str, profile: Profile, search: Search | None, today: dt.date
) -> tuple[dict[str, Any], list[str]]:
    """What a RAG artifact binds to: the tenant's knowledge base ``ref``."""
    kb = _own_kb(session, tenant_id, ref)
    documents, chunks = kb_service.document_count(session, kb)
    evaluation = kb_service.last_evaluation(session, kb)
    sample = (evaluation.payload or {}).get("sample") if evaluation else None
    question = sample[0] if sample else profile.task
    bound: dict[str, Any] = {
        "id": kb.id,
        "name": kb.name,
        "embedding_model": kb.embedding_model,
        "chunk_tokens": kb.chunk_tokens,
        "chunk_overlap": kb.chunk_overlap,
        "documents": documents,
        "chunks": chunks,
        "sources": sorted({row.source for row in kb_service.list_documents(session, kb)})[:50],
        "last_evaluation": evaluation.result if evaluation else None,
        "evaluated_at": evaluation.created_at.isoformat() if evaluation else None,
        "example_question": question,
        "notes": [],
    }
    notes: list[str] = []
    if not evaluation:
        bound["notes"].append(f"{kb.name} has not been evaluated yet: fill eval.jsonl and run the evaluation command.")
    if not documents:
        bound["notes"].append(f"{kb.name} has no documents yet: upload them first (ingestion.commands).")
    elif search is None:
        bound["notes"].append("The worker is not running, so no grounded prompt was built from the knowledge base; "
                              f"POST /v1/knowledge-bases/{kb.name}/prompt once it runs.")  # fmt: skip
    else:
        hits = search(kb.id, question, GROUNDED_HITS)
        bound["grounded_prompt"] = grounded_prompt(question, hits, profile.provider, today=today).model_dump(mode="json")
    return bound, notes


def artifact(
    session: Session,
    tenant_id: str,
    profile: Profile,
    verdict: Any,
    request: AdviceRequest,
    report: DatasetReport | None,
    today: dt.date,
    services: dict[str, Any],
    dataset_path: str | None,
) -> tuple[dict[str, Any] | None, list[str]]:
    notes: list[str] = []
    material: dict[str, Any] = {"dataset_id": request.dataset_id, "dataset_report": report, "dataset_path": dataset_path}
    if request.examples is not None:
        material["examples"] = [example.model_dump() for example in request.examples]
    if request.knowledge_base is not None:
        if verdict.strategy in ("rag", "rag_and_fine_tuning"):
            material["knowledge_base"], notes = _knowledge_base(
                session, tenant_id, request.knowledge_base, profile, services.get("search"), today
            )
        else:
            _own_kb(session, tenant_id, request.knowledge_base)  # a wrong reference is still an error
            notes.append(f"knowledge_base is used by RAG artifacts; this advice is {verdict.strategy}, so it was not used.")
    builders = builders_for(verdict.strategy)
    if not builders:  # every strategy has one (tests/service/artifacts); a plug-in strategy might not
        return None, [*notes, f"No artifact builder is registered for {verdict.strategy}."]
    context = ArtifactContext(profile=profile, verdict=verdict, material=material, services={"today": today, **services})
    parts = [builder(context) for builder in builders]
    artifact = Artifact(strategy=verdict.strategy, parts=parts)
    return artifact.model_dump(mode="json", by_alias=True), notes
