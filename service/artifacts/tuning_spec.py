"""The tuning-job spec: the model, hyperparameters, cost, dates that matter and a runnable snippet.

The provider object (``service.providers``) writes the steps and files; this module chooses the model on
``today``, prices the run and says what ends within 90 days. A requested model that cannot be tuned today
is refused (422) when the caller asked for a spec or a job (``strict``), and replaced with a notice when it
comes from an advice profile: see docs/catalog.md, "Retired models in requests".
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

from knowledge.loader import Catalog, ModelEntry, default_catalog
from rules.economics import ASSUMED_TOKENS_PER_EXAMPLE, default_epochs
from service.artifacts.registry import ArtifactContext, register
from service.datasets.schemas import DatasetReport
from service.providers.base import Provider
from service.providers.lifecycle import Alternative, alternative_to, deadlines, successor
from service.providers.registry import provider_for


class AlternativeTarget(BaseModel):
    """A concrete provider and model to move the data to, and the command that converts it."""

    provider: str
    model: str
    training_format: str | None
    convert_command: str | None


class Deadline(BaseModel):
    what: str
    date: dt.date
    days_left: int


class TuningSpec(BaseModel):
    """Everything needed to start a tuning job, as data and as text."""

    kind: Literal["tuning_spec"] = "tuning_spec"
    provider: str
    supported: bool
    model: str | None
    dataset_id: str | None = None
    training_format: str | None
    examples: int | None
    hyperparameters: dict[str, Any]
    estimated_training_tokens: int | None
    estimated_cost_usd: float | None
    cost_is_estimate: bool
    steps: list[str]
    notices: list[str] = Field(default_factory=list)
    deadlines: list[Deadline] = Field(default_factory=list, description="Dates within 90 days that end this target.")
    alternative: str | None = None
    alternative_target: AlternativeTarget | None = None
    snippet: str
    files: dict[str, str] = Field(default_factory=dict, description="Extra files to save, by name (e.g. axolotl.yaml).")


def _provider_notices(provider: Provider, today: dt.date, catalog: Catalog) -> list[str]:
    entry = provider.entry(catalog)
    notices = [
        f"{'since' if d.date < today else 'from'} {d.date.isoformat()}: {d.what} (source: {d.source})" for d in entry.deprecations
    ]
    return notices + entry.fine_tuning.notes


def _target(alternative: Alternative | None) -> AlternativeTarget | None:
    if alternative is None:
        return None
    return AlternativeTarget(
        provider=alternative.provider,
        model=alternative.model,
        training_format=alternative.training_format,
        convert_command=alternative.convert_command,
    )


def build_tuning_spec(
    provider: str,
    *,
    today: dt.date,
    model: str | None = None,
    report: DatasetReport | None = None,
    examples_hint: int = 0,
    dataset_id: str | None = None,
    catalog: Catalog | None = None,
    strict: bool = False,
) -> TuningSpec:
    """The spec for ``provider`` on ``today`` (undecided teams get the catalog's tuning choice).

    ``strict``: a requested model that is shut down or cannot be tuned today raises its 422
    (``model_retired`` / ``model_not_tunable``, field ``model``) instead of being replaced.
    """
    catalog = catalog or default_catalog()
    target = provider_for(provider, "tuning", today, catalog)
    entry = target.entry(catalog)
    choice = target.tunable_model(model, today, catalog)
    problem = choice.problem
    refused = problem is not None and problem.code in ("model_retired", "model_not_tunable", "model_not_released")
    # A provider that cannot tune at all gets the no-tuning spec instead of a 422.
    if strict and problem is not None and refused and entry.can_fine_tune(today):
        raise problem.error()
    chosen: ModelEntry | None = choice.model
    examples = report.examples if report else examples_hint
    epochs = report.epochs if report and report.epochs else default_epochs(examples)
    tokens = report.tokens.total if report else examples * ASSUMED_TOKENS_PER_EXAMPLE
    price = chosen.tuned_price.training_per_mtok if chosen and chosen.tuned_price else None
    cost = round(tokens * epochs * price / 1_000_000, 2) if price is not None and tokens else None
    ending = deadlines(entry, chosen, "tuning", today)
    notices = [problem.message] if problem else []
    notices += [d.message for d in ending] + _provider_notices(target, today, catalog)
    alternative = problem.alternative if problem and problem.alternative else None
    if alternative is None and ending:
        alternative = successor(target, chosen, "tuning", today, catalog)
    elif alternative is None and not entry.can_fine_tune(today):
        alternative = alternative_to(target.name, "tuning", today, catalog)
    common: dict[str, Any] = {
        "provider": target.name,
        "model": choice.model_id,
        "dataset_id": dataset_id,
        "training_format": target.training_format(catalog),
        "examples": examples,
        "estimated_training_tokens": tokens * epochs if tokens else None,
        "estimated_cost_usd": cost,
        "cost_is_estimate": report is None or not report.tokens.exact,
        "notices": notices,
        "deadlines": [Deadline(what=d.message, date=d.date, days_left=d.days_left) for d in ending],
        "alternative": alternative.text() if alternative else entry.fine_tuning.alternative,
        "alternative_target": _target(alternative),
    }
    plan = target.tuning_plan(choice.model_id, examples, epochs, catalog) if choice.model_id else None
    if plan is None or not entry.can_fine_tune(today):
        return _cannot_tune(target, today, catalog, common)
    return TuningSpec(
        supported=True, hyperparameters=plan.hyperparameters, steps=plan.steps, snippet=plan.snippet, files=plan.files, **common
    )


def _cannot_tune(provider: Provider, today: dt.date, catalog: Catalog, common: dict[str, Any]) -> TuningSpec:
    entry = provider.entry(catalog)
    return TuningSpec(
        supported=False,
        hyperparameters={},
        steps=[
            f"{entry.display_name} offers no fine-tuning you can start today: {entry.fine_tuning.how}",
            "Move the behaviour into the prompt: XML-tagged instructions and an <examples> block of your best examples.",
            "Use structured outputs for strict formats, and RAG for facts the model lacks.",
            f"If tuning is still needed, the same data converts for: {common['alternative'] or entry.fine_tuning.alternative}.",
        ],
        snippet=provider.no_tuning_snippet(today, catalog),
        **{**common, "model": None, "estimated_cost_usd": None},
    )


@register("fine_tuning")  # rag_and_fine_tuning: combined.py builds it with the RAG setup
def tuning_spec_artifact(context: ArtifactContext) -> TuningSpec:
    """The registered builder: uses a validated dataset's report when the caller sent one."""
    report = context.material.get("dataset_report")
    today = context.services.get("today")
    if not isinstance(today, dt.date):
        raise TypeError("the artifact builders need services['today'], the caller's date")
    return build_tuning_spec(
        context.profile.provider,
        today=today,
        model=context.profile.model,
        report=report if isinstance(report, DatasetReport) else None,
        examples_hint=context.profile.examples,
        dataset_id=context.material.get("dataset_id"),
    )
