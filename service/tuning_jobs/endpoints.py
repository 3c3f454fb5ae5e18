"""Tuning jobs: a spec, optionally submitted to the provider, exactly once per Idempotency-Key."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Request, Response

from service.api.problems import problem_responses
from service.deps import ClockDep, SessionDep, TenantDep
from service.tuning_jobs import service as tuning
from service.tuning_jobs.schemas import TuningJobOut, TuningJobRequest

router = APIRouter(prefix="/v1/tuning-jobs", tags=["tuning"], responses=problem_responses(400, 404, 409, 413, 422, 502, 503, 504))


@router.post(
    "",
    status_code=201,
    response_model=TuningJobOut,
    summary="Build a tuning-job spec; submit it with submit=true",
    responses={200: {"description": "The job stored under this Idempotency-Key", "model": TuningJobOut}},
)
def create(
    body: TuningJobRequest,
    request: Request,
    response: Response,
    session: SessionDep,
    tenant: TenantDep,
    clock: ClockDep,
    idempotency_key: Annotated[str | None, Header(max_length=200, description="Repeat it to retry without a second job")] = None,
) -> TuningJobOut:
    job, created = tuning.create_job(
        session, tenant, body, idempotency_key=idempotency_key, today=clock(), clients=request.app.state.tuning_clients
    )
    response.status_code = 201 if created else 200
    response.headers["Location"] = f"/v1/tuning-jobs/{job.id}"
    return job


@router.get("/{job_id}", response_model=TuningJobOut, summary="A tuning job, its status refreshed from the provider")
def get(job_id: str, request: Request, session: SessionDep, tenant: TenantDep) -> TuningJobOut:
    return tuning.get_job(session, tenant, job_id, request.app.state.tuning_clients)
