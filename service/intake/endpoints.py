"""POST /v1/intake: a free-text description -> a draft profile, the words behind each field, the questions left.

Nothing is stored: the draft is a starting point the page and the Slack bot hand to the
questionnaire (``POST /v1/questionnaire/sessions`` with ``answers``). Tests swap the provider
clients through ``app.state.extraction_clients`` (``ExtractionClientsDep``), a function provider -> client
like ``tuning_clients``.
"""

from __future__ import annotations

from fastapi import APIRouter

from service.api.problems import problem_responses
from service.deps import ClockDep, ExtractionClientsDep, SettingsDep, TenantDep
from service.intake.schemas import IntakeRequest, IntakeResult

router = APIRouter(tags=["intake"], responses=problem_responses(400, 413, 422))


@router.post(
    "/v1/intake",
    response_model=IntakeResult,
    summary="Draft a profile from a free-text description",
    description="Rule-based by default; an LLM with structured output when ADVISOR_INTAKE_PROVIDER and its key are set.",
)
def intake(
    body: IntakeRequest, clients: ExtractionClientsDep, settings: SettingsDep, tenant: TenantDep, clock: ClockDep
) -> IntakeResult:
    # A sync route: an LLM call blocks a pool thread, never the event loop. The tenant is resolved (auth,
    # rate limits) even though nothing is stored.
    # The questions still to ask depend on the day (a provider's tuning may have ended), like a session's.
    from service.intake import extract  # the rules load with the first description (service/intake/__init__.py)

    return extract(body.text, body.lang, settings, clients, clock())
