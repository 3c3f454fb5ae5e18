"""Tuning jobs: build the spec and, when asked, submit it exactly once per idempotency key."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from service.artifacts.tuning_spec import build_tuning_spec
from service.datasets import service as datasets
from service.errors import AdvisorError, Conflict, NotFound
from service.providers.base import TERMINAL, TuningClient
from service.providers.lifecycle import alternative_to
from service.providers.registry import all_providers, provider_for
from service.store.models import TuningJobRow, utcnow
from service.tuning_jobs.repository import TuningJobRepository
from service.tuning_jobs.schemas import TuningJobOut, TuningJobRequest

ClientFactory = Callable[[str], TuningClient | None]


class SubmissionRefused(AdvisorError):
    # 409: the request is well-formed; the state of the provider, the data or the server's keys refuses it.
    status = 409
    code = "submission_refused"
    title = "The job cannot be submitted"


def _fingerprint(request: TuningJobRequest) -> dict[str, Any]:
    return request.model_dump(mode="json")


def _check_submittable(request: TuningJobRequest, today: dt.date, has_client: bool) -> None:
    provider = provider_for(request.provider, "tuning", today)
    if not provider.submits_jobs or request.provider != provider.name:
        able = ", ".join(p.name for p in all_providers() if p.submits_jobs)
        raise SubmissionRefused(
            f"The advisor submits jobs for {able} only; for {request.provider}, run the spec's snippet.",
            code="submission_not_supported",
            field="provider",
        )
    entry = provider.entry()
    end = entry.fine_tuning_end()
    if end is not None and today >= end:
        instead = alternative_to(provider.name, "tuning", today)
        way_out = f"; move the data to {instead.text()}" if instead else ""
        raise SubmissionRefused(
            f"{entry.display_name} stopped accepting new fine-tuning jobs on {end.isoformat()}{way_out}",
            code="provider_fine_tuning_ended",
            field="provider",
        )
    if request.dataset_id is None:
        raise SubmissionRefused("Submitting needs a validated dataset; upload it with POST /v1/datasets.", field="dataset_id")
    if not has_client:
        raise SubmissionRefused(
            f"No {provider.key_env} in the server's environment; set it and retry, or run the spec's snippet yourself.",
            code="provider_key_missing",
        )


def create_job(
    session: Session,
    tenant_id: str,
    request: TuningJobRequest,
    *,
    idempotency_key: str | None,
    today: dt.date,
    clients: ClientFactory,
) -> tuple[TuningJobOut, bool]:
    """(job, created). A repeated key returns the stored job, or retries its failed submission."""
    jobs = TuningJobRepository(session, tenant_id)
    if idempotency_key:
        existing = jobs.by_idempotency_key(idempotency_key)
        if existing is not None:
            return _replay(session, existing, request, today, clients), False
    report = None
    if request.dataset_id:
        dataset = datasets.get_dataset(session, tenant_id, request.dataset_id)
        report = datasets.report_of(dataset)
        if request.submit and not report.ok:
            raise SubmissionRefused(
                f"Dataset {request.dataset_id} has errors; fix the lines its report lists, then upload it again.",
                code="dataset_has_errors",
                field="dataset_id",
            )
    client = clients(request.provider) if request.submit else None
    if request.submit:
        _check_submittable(request, today, client is not None)
    # strict: a job for a model that is shut down or closed to tuning is a 422 naming the replacement.
    spec = build_tuning_spec(
        request.provider,
        model=request.model,
        report=report,
        examples_hint=request.examples,
        dataset_id=request.dataset_id,
        today=today,
        strict=True,
    )
    now = utcnow()
    row = TuningJobRow(
        id=str(uuid.uuid4()),
        idempotency_key=idempotency_key,
        created_at=now,
        updated_at=now,
        dataset_id=request.dataset_id,
        provider=spec.provider,
        model=spec.model,
        status="submitting" if request.submit else "draft",
        spec={**spec.model_dump(mode="json"), "request": _fingerprint(request)},
        provider_files={},
    )
    jobs.add(row)
    try:
        # Stored before anything is sent, so a crash mid-submission leaves a visible, retryable row.
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = jobs.by_idempotency_key(idempotency_key or "")
        if existing is None:
            raise
        return _replay(session, existing, request, today, clients), False
    if request.submit and client is not None:
        _submit(session, row, request, client)
    return TuningJobOut.model_validate(row), True


def _replay(
    session: Session, row: TuningJobRow, request: TuningJobRequest, today: dt.date, clients: ClientFactory
) -> TuningJobOut:
    if row.spec.get("request") != _fingerprint(request):
        raise Conflict(
            "This Idempotency-Key was used for a different request; use a new key for a new job.", code="idempotency_key_reused"
        )
    if request.submit and row.status in ("failed", "submitting") and row.provider_job_id is None:
        client = clients(request.provider)
        _check_submittable(request, today, client is not None)
        if client is not None:
            _submit(session, row, request, client)
    return TuningJobOut.model_validate(row)


def _submit(session: Session, row: TuningJobRow, request: TuningJobRequest, client: TuningClient) -> None:
    """Upload (once per file) and create the job; the provider sees a stable key, so retries never double it."""
    try:
        dataset = datasets.get_dataset(session, row.tenant_id, row.dataset_id or "")
        files = dict(row.provider_files or {})
        if "training_file" not in files:
            result = datasets.convert_dataset(dataset, row.spec["training_format"], request.validation_fraction)
            files["training_file"] = client.upload(result.train_path, idempotency_key=f"{row.id}-train")
            if result.validation_path is not None and result.validation:
                files["validation_file"] = client.upload(result.validation_path, idempotency_key=f"{row.id}-validation")
            row.provider_files = files
            session.commit()
        base = row.spec.get("hyperparameters", {})
        snapshot = _tuning_id(row.provider, row.model)
        job = client.create_job(
            model=snapshot,
            training_file=files["training_file"],
            validation_file=files.get("validation_file"),
            hyperparameters=base,
            suffix=request.suffix,
            idempotency_key=f"{row.id}-job",
        )
    except AdvisorError as exc:
        row.status, row.error, row.updated_at = "failed", {"code": exc.code, "message": exc.message}, utcnow()
        session.commit()
        raise
    row.provider_job_id, row.provider_status, row.status = job.id, job.status, "submitted"
    row.error, row.updated_at = None, utcnow()
    session.commit()


def _tuning_id(provider: str, model: str | None) -> str:
    """The snapshot the provider's job takes for the spec's model (OpenAI's dated ids)."""
    if not model:
        raise SubmissionRefused("The spec names no model to tune; ask for the spec again.", field="model")
    return provider_for(provider).tuning_id(model)


def get_job(session: Session, tenant_id: str, job_id: str, clients: ClientFactory) -> TuningJobOut:
    """The stored job, refreshed from the provider when it is still running and a key is configured."""
    row = TuningJobRepository(session, tenant_id).get(job_id)
    if row is None:
        raise NotFound(f"No tuning job {job_id!r}.", code="tuning_job_not_found")
    if row.provider_job_id and row.status in ("submitted", "running"):
        client = clients(row.provider)
        if client is not None:
            job = client.retrieve(row.provider_job_id)
            row.provider_status, row.fine_tuned_model = job.status, job.fine_tuned_model
            row.status = job.status if job.status in TERMINAL else "running"
            if job.error:
                row.error = {"code": "provider_job_failed", "message": job.error}
            row.updated_at = utcnow()
            session.commit()
    return TuningJobOut.model_validate(row)
