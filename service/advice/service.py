"""The advice use case: profile -> verdict -> stored advice (+ the artifact of the chosen strategy)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from knowledge.loader import default_catalog
from rules.engine import decide
from rules.facts import Lang, Profile, Quality
from rules.measured import Measurement, Reading, read
from rules.texts import value_text
from rules.validation import ProfileError
from service.advice.repository import AdviceRepository
from service.advice.schemas import AdviceOut, AdvicePage, AdviceRequest
from service.artifacts.registry import ArtifactContext, builders_for
from service.artifacts.schemas import Artifact
from service.config import Clock
from service.datasets import service as datasets
from service.datasets.schemas import DatasetReport
from service.errors import NotFound, ValidationFailed
from service.knowledge_bases import service as kb_service
from service.knowledge_bases.grounding import CitedChunk, grounded_prompt
from service.store.models import AdviceRow, KnowledgeBaseRow, utcnow

Embed = Callable[[list[str]], list[list[float]]]
OnVerdict = Callable[[str], None]  # told the strategy of each stored advice (the caller's metrics count it)
Search = Callable[[str, str, int], Sequence[CitedChunk]]  # (kb id, question, k) -> hits, from the worker
# (session, tenant, experiment id) -> what it measured; given by the caller, so advice never imports experiments
Evidence = Callable[[Session, str, str], Measurement]
GROUNDED_HITS = 5
# Share of lines with errors above which a dataset counts as low quality, and as mixed above zero.
LOW_QUALITY_ERROR_SHARE = 0.2


def as_request(body: AdviceRequest | Profile, lang: Lang | None = None) -> AdviceRequest:
    """A bare profile is a request without material; ``lang`` (the query) applies unless the body names one."""
    request = body if isinstance(body, AdviceRequest) else AdviceRequest(profile=body)
    if lang is not None and "lang" not in request.model_fields_set:
        request = request.model_copy(update={"lang": lang})
    return request


def quality_of(report: DatasetReport) -> Quality:
    """A dataset's quality from its report: clean is high, a few bad lines mixed, many low."""
    if report.examples == 0:
        return "low"
    bad_share = 1 - report.examples / max(report.records or report.lines, 1)
    if report.ok and bad_share <= 0:
        return "high"
    return "low" if bad_share > LOW_QUALITY_ERROR_SHARE else "mixed"


def _with_dataset(
    session: Session, tenant_id: str, request: AdviceRequest
) -> tuple[Profile, DatasetReport | None, list[str], str | None]:
    if request.dataset_id is None:
        return request.profile, None, [], None
    row = datasets.get_dataset(session, tenant_id, request.dataset_id)
    report = datasets.report_of(row)
    quality = quality_of(report)
    profile = request.profile.model_copy(update={"examples": report.examples, "example_quality": quality})
    note = _DATASET_NOTE[request.lang].format(
        examples=report.examples,
        quality=value_text("example_quality", quality, request.lang),
        dataset=request.dataset_id,
        lines=report.records or report.lines,
        said=request.profile.examples,
    )
    return profile, report, [note], row.path


_DATASET_NOTE = {
    "en": "The example count ({examples}) and their quality ({quality}) come from the validation report of dataset {dataset} "
    "({lines} records, {examples} valid), not from the answers (which said {said}).",
    "he": "מספר הדוגמאות ({examples}) ואיכותן ({quality}) לקוחים מדוח הבדיקה של סט הנתונים {dataset} "
    "({lines} רשומות, {examples} תקינות), ולא מהתשובות (שאמרו {said}).",
}


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


def _artifact(
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


def create_advice(
    session: Session,
    tenant_id: str,
    body: AdviceRequest | Profile,
    today: Clock,
    embed: Embed | None = None,
    on_verdict: OnVerdict | None = None,
    lang: Lang | None = None,
    search: Search | None = None,
    evidence: Evidence | None = None,
) -> dict[str, Any]:
    """Decide, store the verdict with its profile (and artifact when asked); returns the response as JSON data."""
    request = as_request(body, lang)
    day = today()
    profile, report, notes, dataset_path = _with_dataset(session, tenant_id, request)
    reading = _measured(session, tenant_id, request, evidence)
    if reading is not None and reading.status is not None and reading.status != profile.prompting_status:
        notes.append(f"prompting_status is {reading.status!r}, measured by experiment {request.experiment_id}.")
        profile = profile.model_copy(update={"prompting_status": reading.status})
    try:
        verdict = decide(profile, default_catalog(), today=day, lang=request.lang)
    except ProfileError as exc:
        raise ValidationFailed(str(exc), code=exc.code, field=exc.field) from exc
    if reading is not None:  # the measurement is the first reason, and what to try next the first step
        verdict = verdict.model_copy(
            update={"reasons": [reading.reason, *verdict.reasons], "next_steps": [reading.next_step, *verdict.next_steps]}
        )
    artifact = None
    if request.artifact:
        services: dict[str, Any] = {"embed": embed} if embed is not None else {}
        if search is not None:
            services["search"] = search
        artifact, more = _artifact(session, tenant_id, profile, verdict, request, report, day, services, dataset_path)
        notes += more
    values: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "created_at": utcnow(),
        "strategy": verdict.strategy,
        "task": profile.task,
        "profile": profile.model_dump(mode="json"),
        "verdict": {**verdict.model_dump(mode="json", by_alias=True), "notes": notes},
        "request": request.model_dump(mode="json", exclude={"profile", "examples"}, exclude_none=True),
        "artifact": artifact,
        "rules_version": verdict.rules_version,
        "catalog_as_of": verdict.catalog_as_of,
    }
    AdviceRepository(session, tenant_id).insert(values)
    session.commit()
    if on_verdict is not None:  # here, not in a route: questionnaire and Slack advice count too
        on_verdict(verdict.strategy)
    return _payload(values["id"], values["created_at"], values["verdict"], values["profile"], artifact)


def _payload(
    advice_id: str, created_at: dt.datetime, verdict: dict[str, Any], profile: dict[str, Any], artifact: dict[str, Any] | None
) -> dict[str, Any]:
    stamp = created_at.isoformat().replace("+00:00", "Z")
    return {**verdict, "id": advice_id, "created_at": stamp, "profile": profile, "artifact": artifact}


def to_out(row: AdviceRow) -> AdviceOut:
    # Not from_attributes: the verdict is one JSON column whose keys are the response's top level.
    return AdviceOut.model_validate(_payload(row.id, row.created_at, row.verdict, row.profile, row.artifact))


def _measured(session: Session, tenant_id: str, request: AdviceRequest, evidence: Evidence | None) -> Reading | None:
    if request.experiment_id is None:
        return None
    if evidence is None:
        raise ValidationFailed("This server reads no experiments; leave out experiment_id.", field="experiment_id")
    return read(evidence(session, tenant_id, request.experiment_id), request.target_accuracy, request.lang)


def _row(session: Session, tenant_id: str, advice_id: str) -> AdviceRow:
    row = AdviceRepository(session, tenant_id).get(advice_id)
    if row is None:
        raise NotFound(f"No advice with id {advice_id!r}; list yours with GET /v1/advice.", code="advice_not_found")
    return row


def get_advice(session: Session, tenant_id: str, advice_id: str) -> AdviceOut:
    return to_out(_row(session, tenant_id, advice_id))


def get_artifact(session: Session, tenant_id: str, advice_id: str) -> dict[str, Any]:
    row = _row(session, tenant_id, advice_id)
    if row.artifact is None:
        raise NotFound(
            'This advice was made without an artifact; POST /v1/advice again with "artifact": true and the material.',
            code="artifact_not_found",
        )
    return row.artifact


def list_advice(session: Session, tenant_id: str, limit: int, cursor: str | None) -> AdvicePage:
    rows, next_cursor = AdviceRepository(session, tenant_id).page(limit, cursor)
    return AdvicePage(items=[to_out(row) for row in rows], next_cursor=next_cursor)
