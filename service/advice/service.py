"""The advice use case: profile -> verdict -> stored advice (+ the artifact of the chosen strategy)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from knowledge.loader import default_catalog
from rules.engine import decide
from rules.facts import Lang, Profile, Quality
from rules.measured import Measurement, Reading, read
from rules.texts import value_text
from rules.validation import ProfileError
from service.advice.answer import OnVerdict, columns, stored, stored_body, to_out
from service.advice.material import Search
from service.advice.material import artifact as build_artifact
from service.advice.repository import AdviceRepository
from service.advice.schemas import AdviceOut, AdvicePage, AdviceRequest
from service.config import Clock
from service.datasets import service as datasets
from service.datasets.schemas import DatasetReport
from service.errors import NotFound, ValidationFailed
from service.ids import uuid7_text
from service.store.db import Database
from service.store.models import AdviceRow, utcnow

Embed = Callable[[list[str]], list[list[float]]]
__all__ = ["OnVerdict", "Search", "stored", "stored_body", "to_out"]  # Search: (kb id, question, k) -> hits, built by the route
# (session, tenant, experiment id) -> what it measured; given by the caller, so advice never imports experiments
Evidence = Callable[[Session, str, str], Measurement]
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
    values = prepare(session, tenant_id, as_request(body, lang), today, embed, search, evidence)
    return stored(_committed(session, tenant_id, values), on_verdict)


def _committed(session: Session, tenant_id: str, values: dict[str, Any]) -> dict[str, Any]:
    """``values`` inserted and committed in ``session``."""
    insert(session, tenant_id, values)
    session.commit()
    return values


def prepare(
    session: Session,
    tenant_id: str,
    request: AdviceRequest,
    today: Clock,
    embed: Embed | None = None,
    search: Search | None = None,
    evidence: Evidence | None = None,
) -> dict[str, Any]:
    """``create_advice``'s row values without storing them: reads the store, writes nothing. The caller inserts them
    with ``insert`` in its own transaction, commits, then calls ``stored`` (the questionnaire decides before it takes
    the write lock)."""
    return _decided(session, tenant_id, request, today, embed, search, evidence)


def insert(session: Session, tenant_id: str, values: dict[str, Any]) -> None:
    """Insert ``prepare``'s values in ``session``'s transaction; the caller commits."""
    AdviceRepository(session, tenant_id).insert(values)


def advise(
    database: Database,
    tenant_id: str,
    body: AdviceRequest | Profile,
    today: Clock,
    embed: Embed | None = None,
    on_verdict: OnVerdict | None = None,
    lang: Lang | None = None,
    search: Search | None = None,
    evidence: Evidence | None = None,
) -> tuple[str, bytes]:
    """``create_advice`` for POST /v1/advice: the advice's id and the response's body. A request that reads nothing
    from the store (no dataset, experiment or artifact: most of them) is decided without a session and its row
    committed on a pooled connection of its own (ADR 0019); the others, and other backends than SQLite, in a session
    as before."""
    request = as_request(body, lang)
    if not plain(request):
        with database.session() as session:
            values = _committed(session, tenant_id, prepare(session, tenant_id, request, today, embed, search, evidence))
        return values["id"], stored_body(values, on_verdict)
    values = decide_plain(tenant_id, request, today)
    return values["id"], store_plain(database, tenant_id, values, on_verdict)


def plain(request: AdviceRequest) -> bool:
    """Whether the request reads nothing from the store and builds no artifact: its work is the decision and one
    insert (most requests)."""
    return request.dataset_id is None and request.experiment_id is None and not request.artifact


def warm_up(today: Clock) -> None:
    """Decide one profile: the rules and the catalog load, their generated code and the table of every signature
    combination (ADR 0032) are built, ~45-80 ms that the first advice after a start would otherwise wait."""
    decide(Profile(task="warm-up"), default_catalog(), today=today())


def decide_plain(tenant_id: str, request: AdviceRequest, today: Clock) -> dict[str, Any]:
    """A plain request's row values: CPU only, no I/O (the route runs it on the event loop, ADR 0023)."""
    return _decided(None, tenant_id, request, today, None, None, None)


def store_plain(database: Database, tenant_id: str, values: dict[str, Any], on_verdict: OnVerdict | None) -> bytes:
    """A plain request's row committed on a pooled connection of its own (ADR 0019), or in a session on other
    backends; the response's body. May wait for SQLite's write lock: call it from a thread."""
    if not AdviceRepository.insert_committed(database.engine, tenant_id, values):
        with database.session() as session:
            _committed(session, tenant_id, values)
    return stored_body(values, on_verdict)


async def store_soon(database: Database, tenant_id: str, values: dict[str, Any], on_verdict: OnVerdict | None) -> bytes | None:
    """``store_plain`` without waiting, for the event loop: the row is committed with the other advice decided in the
    same turn of the loop (ADR 0023, 0038). The response's body once it is committed, else None and nothing written
    (SQLite was busy: then ``store_plain`` from a thread)."""
    if not await AdviceRepository.insert_soon(database.immediate, tenant_id, values):
        return None
    return stored_body(values, on_verdict)


def _decided(
    session: Session | None,
    tenant_id: str,
    request: AdviceRequest,
    today: Clock,
    embed: Embed | None,
    search: Search | None,
    evidence: Evidence | None,
) -> dict[str, Any]:
    """The advice row's values: the verdict for the request (with what its dataset and experiment say), its notes and
    artifact. ``session`` may be None only for a request without dataset, experiment and artifact."""
    day = today()
    notes: list[str] = []
    if session is None:
        profile, report, dataset_path, reading = request.profile, None, None, None
    else:
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
        assert session is not None
        services: dict[str, Any] = {"embed": embed} if embed is not None else {}
        if search is not None:
            services["search"] = search
        artifact, more = build_artifact(session, tenant_id, profile, verdict, request, report, day, services, dataset_path)
        notes += more
    return {
        "id": uuid7_text(),
        "created_at": utcnow(),
        "strategy": verdict.strategy,
        "task": profile.task,
        **columns(profile, verdict, notes, request),
        "artifact": artifact,
        "rules_version": verdict.rules_version,
        "catalog_as_of": verdict.catalog_as_of,
    }


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
