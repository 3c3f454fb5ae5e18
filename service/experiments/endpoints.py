"""/v1/experiments: pilot candidate strategies on an evaluation set, in the worker, and read the measurement."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from service.api.problems import problem_responses
from service.deps import ClockDep, SessionDep, SettingsDep, TenantDep
from service.experiments import service as experiments
from service.experiments.schemas import ExperimentAccepted, ExperimentOut, ExperimentRequest, ExperimentSummary

router = APIRouter(prefix="/v1/experiments", tags=["experiments"], responses=problem_responses(400, 404, 413, 422, 503))


@router.post(
    "",
    status_code=202,
    response_model=ExperimentAccepted,
    summary="Estimate, then run candidates on an evaluation set in the worker",
    responses=problem_responses(402, 409),
)
def create(
    body: ExperimentRequest, session: SessionDep, tenant: TenantDep, settings: SettingsDep, clock: ClockDep, response: Response
) -> ExperimentAccepted:
    accepted = experiments.create_experiment(session, tenant, body, settings, clock())
    experiments.enqueue(session, tenant, accepted.id, settings)
    response.headers["Location"] = f"/v1/experiments/{accepted.id}"
    return accepted


@router.get("", response_model=list[ExperimentSummary], summary="This tenant's experiments, newest first")
def list_experiments(
    session: SessionDep, tenant: TenantDep, limit: Annotated[int, Query(ge=1, le=100)] = 20
) -> list[ExperimentSummary]:
    return experiments.list_experiments(session, tenant, limit)


@router.get("/{experiment_id}", response_model=ExperimentOut, summary="State, progress and each candidate's accuracy")
def get(experiment_id: str, session: SessionDep, tenant: TenantDep) -> ExperimentOut:
    return experiments.get_experiment(session, tenant, experiment_id)


@router.post(
    "/{experiment_id}/resume",
    status_code=202,
    response_model=ExperimentOut,
    summary="Run a failed experiment's unfinished items again (finished ones are not called twice)",
    responses=problem_responses(409),
)
def resume(
    experiment_id: str, session: SessionDep, tenant: TenantDep, settings: SettingsDep, response: Response
) -> ExperimentOut:
    out = experiments.resume(session, tenant, experiment_id, settings)
    response.headers["Location"] = f"/v1/experiments/{experiment_id}"
    return out
