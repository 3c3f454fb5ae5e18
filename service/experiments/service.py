"""Experiments: accept (key, estimate, budget), store the plan and enqueue it; report what the runner measured."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from typing import Any

from sqlalchemy.orm import Session

from rules.measured import Measurement, Score
from service.config import Settings
from service.errors import AdvisorError, NotFound
from service.experiments import costs, plan
from service.experiments.repository import ExperimentRepository, ResultRepository
from service.experiments.schemas import (
    CandidateReport,
    ExperimentAccepted,
    ExperimentOut,
    ExperimentRequest,
    ExperimentSummary,
    ItemResult,
)
from service.experiments.stats import median, wilson
from service.providers.keys import KEY_ENV, api_key
from service.store.models import ExperimentResultRow, ExperimentRow, utcnow


class CostOverBudget(AdvisorError):
    status = 402
    code = "cost_over_budget"
    title = "The estimated cost is over the budget"


class KeyMissing(AdvisorError):
    status = 409
    code = "provider_key_missing"
    title = "The server has no key for this provider"


def _month_spent(session: Session, tenant_id: str, today: dt.date) -> float:
    start = dt.datetime(today.year, today.month, 1, tzinfo=dt.UTC)
    return sum(ExperimentRepository(session, tenant_id).estimates_since(start))


def _check_cost(session: Session, tenant_id: str, request: ExperimentRequest, estimate: float | None, settings: Settings) -> None:
    if request.confirm_cost:
        return
    shown = "unknown (a model has no price in the catalog)" if estimate is None else f"${estimate:.4f}"
    if request.max_cost_usd is not None and (estimate is None or estimate > request.max_cost_usd):
        raise CostOverBudget(
            f"Estimated cost {shown} is over max_cost_usd ${request.max_cost_usd:.4f}; "
            'send "confirm_cost": true to run it anyway, or fewer items or candidates.',
            field="max_cost_usd",
        )
    budget = settings.experiment_budget_usd
    if budget is not None and estimate is not None:
        spent = _month_spent(session, tenant_id, utcnow().date())
        if spent + estimate > budget:
            raise CostOverBudget(
                f"Estimated cost ${estimate:.4f} with ${spent:.4f} already estimated this month is over the tenant's "
                f'budget of ${budget:.4f} (ADVISOR_EXPERIMENT_BUDGET_USD); send "confirm_cost": true to run it anyway.',
                field="confirm_cost",
            )


def create_experiment(
    session: Session, tenant_id: str, request: ExperimentRequest, settings: Settings, today: dt.date
) -> ExperimentAccepted:
    """Validate, estimate and store the experiment as queued; the caller enqueues it (``enqueue``)."""
    provider = request.target.provider
    if api_key(settings, provider) is None:
        raise KeyMissing(f"No {KEY_ENV[provider]} in the server's environment; set it and retry.", field="target.provider")
    target = request.target.model_dump(exclude_none=True)
    planned = plan.build(session, tenant_id, request)
    judges = plan.judges(planned, target)
    for judge in judges:  # a rubric grader's judge model: its key comes from the environment too
        if api_key(settings, judge["provider"]) is None:
            env = KEY_ENV[judge["provider"]]
            raise KeyMissing(
                f"No {env} in the server's environment for the rubric grader's judge; set it and retry.",
                field="grader.judge.provider",
            )
    estimate = costs.estimate(target, planned, today)
    _check_cost(session, tenant_id, request, estimate, settings)
    planned["rates"] = {
        c["name"]: r.as_dict() for c in planned["candidates"] if (r := costs.rates(target, c["model"], today)) is not None
    }
    planned["judge_rates"] = {
        plan.judge_key(j): r.as_dict() for j in judges if (r := costs.rates(j, j["model"], today)) is not None
    }
    total = len(planned["items"]) * len(planned["candidates"])
    row = ExperimentRow(
        id=str(uuid.uuid4()), state="queued", done=0, total=total, target=target, plan=planned, estimate_usd=estimate
    )
    ExperimentRepository(session, tenant_id).add(row)
    session.commit()
    return ExperimentAccepted(id=row.id, state="queued", estimate_usd=estimate, total=total)


def enqueue(session: Session, tenant_id: str, experiment_id: str, settings: Settings) -> None:
    """Put the stored experiment on the worker's queue; if the queue does not answer, drop the row (503)."""
    from service.worker.queue import QueueUnavailable, get_queue  # Huey loads on the first experiment

    try:
        get_queue(settings).submit_experiment(experiment_id)
    except QueueUnavailable:
        ExperimentRepository(session, tenant_id).delete(experiment_id)
        session.commit()
        raise


def resume(session: Session, tenant_id: str, experiment_id: str, settings: Settings) -> ExperimentOut:
    """Queue a failed experiment again; its finished items keep their results and are not called again."""
    row = _row(session, tenant_id, experiment_id)
    if row.state != "failed":
        raise AdvisorError(
            f"The experiment is {row.state}; only a failed one can be resumed (a worker resumes a running one itself).",
            code="experiment_not_failed",
            status=409,
        )
    row.state, row.attempts, row.updated_at = "queued", 0, utcnow()  # its worker's deaths are counted afresh
    session.commit()
    from service.worker.queue import get_queue

    get_queue(settings).submit_experiment(experiment_id)
    return report(session, tenant_id, row)


def _row(session: Session, tenant_id: str, experiment_id: str) -> ExperimentRow:
    row = ExperimentRepository(session, tenant_id).get(experiment_id)
    if row is None:
        raise NotFound(
            f"No experiment {experiment_id!r} for this API key; list yours with GET /v1/experiments.",
            code="experiment_not_found",
        )
    return row


def _candidate(candidate: dict[str, Any], items: list[dict[str, Any]], rows: list[ExperimentResultRow]) -> CandidateReport:
    scored = [r for r in rows if r.error is None]
    correct = sum(r.correct for r in scored)
    low, high = wilson(correct, len(scored)) if scored else (None, None)
    costs_known = [r.cost_usd for r in rows]
    results = [
        ItemResult(
            index=r.item,
            input=items[r.item]["input"],
            expected=items[r.item]["expected"],
            output=r.output,
            correct=r.correct,
            grader=r.grader,
            detail=r.detail,
            latency_ms=r.latency_ms,
            error=r.error,
        )
        for r in sorted(rows, key=lambda r: r.item)
    ]
    return CandidateReport(
        name=candidate["name"],
        model=candidate["model"],
        n=len(scored),
        correct=correct,
        errors=len(rows) - len(scored),
        accuracy=correct / len(scored) if scored else None,
        ci_low=low,
        ci_high=high,
        cost_usd=None if any(c is None for c in costs_known) else round(sum(c or 0.0 for c in costs_known), 10),
        latency_ms_p50=median([r.latency_ms for r in scored if r.latency_ms is not None]),
        graders=dict(Counter(r.grader for r in scored)),
        results=results,
    )


def report(session: Session, tenant_id: str, row: ExperimentRow) -> ExperimentOut:
    by_candidate: dict[str, list[ExperimentResultRow]] = {}
    for result in ResultRepository(session, tenant_id).of(row.id):
        by_candidate.setdefault(result.candidate, []).append(result)
    items = row.plan["items"]
    return ExperimentOut(
        id=row.id,
        state=row.state,
        progress={"done": row.done, "total": row.total},
        target=row.target,
        estimate_usd=row.estimate_usd,
        candidates=[_candidate(c, items, by_candidate.get(c["name"], [])) for c in row.plan["candidates"]],
        error=row.error,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def get_experiment(session: Session, tenant_id: str, experiment_id: str) -> ExperimentOut:
    return report(session, tenant_id, _row(session, tenant_id, experiment_id))


def list_experiments(session: Session, tenant_id: str, limit: int) -> list[ExperimentSummary]:
    return [
        ExperimentSummary(
            id=row.id,
            state=row.state,
            progress={"done": row.done, "total": row.total},
            target=row.target,
            candidates=[c["name"] for c in row.plan["candidates"]],
            created_at=row.created_at,
        )
        for row in ExperimentRepository(session, tenant_id).newest(limit)
    ]


def evidence(session: Session, tenant_id: str, experiment_id: str) -> Measurement:
    """Each scored candidate's accuracy and interval, for an advice (``app.state.experiment_evidence``)."""
    out = get_experiment(session, tenant_id, experiment_id)
    if out.state != "succeeded":
        raise AdvisorError(
            f"The experiment is {out.state}; advise on it once it has succeeded (GET /v1/experiments/{experiment_id}).",
            code="experiment_not_finished",
            status=409,
            field="experiment_id",
        )
    scores = tuple(
        Score(c.name, c.n, c.accuracy, c.ci_low, c.ci_high)
        for c in out.candidates
        if c.accuracy is not None and c.ci_low is not None and c.ci_high is not None
    )
    return Measurement(out.id, scores)
