"""Which model to use on a given day, and what to tell a team whose model or provider is about to stop.

``choose_model`` never hands out a model that is shut down or, for tuning, one no job can start on today.
When the requested model cannot serve, it says why and names the replacement: the catalog's ``replacement``
when that one fits the purpose, else the provider's default, else another provider's (``alternative_to``).
``lifecycle_notice`` gathers the dates within 90 days that touch a target (the provider's end of new jobs,
the model's tuning window, its shutdown, which takes tuned copies with it) and a concrete way out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Literal

from knowledge.checks import SOON_DAYS
from knowledge.loader import Catalog, ModelEntry, ProviderEntry, Purpose
from service.errors import ValidationFailed
from service.providers.base import Provider

ProblemCode = Literal["model_retired", "model_not_released", "model_not_tunable", "model_unknown", "no_model"]
DeadlineCode = Literal["provider_tuning_ends", "tuning_closes", "shutdown"]
_VERB = {"tuning": "tune", "prompting": "prompt", "extraction": "extract with"}


@dataclass(frozen=True)
class Alternative:
    """A concrete provider and model to move to, and how to convert the data for it."""

    provider: str
    display_name: str
    model: str
    training_format: str | None
    same_provider: bool = False

    @property
    def convert_command(self) -> str | None:
        if self.training_format is None or self.same_provider:
            return None
        return f"advisor data convert train.jsonl --to {self.training_format} -o converted/"

    def text(self) -> str:
        where = f"{self.display_name}: {self.model}"
        if self.same_provider:
            return (
                f'{where}, with the same data: POST /v1/tuning-jobs {{"provider": "{self.provider}", "model": "{self.model}"}}.'
            )
        if self.training_format is None:
            return where
        return (
            f"{where}. Convert the data with `{self.convert_command}` (or POST /v1/datasets/{{id}}/convert with "
            f'{{"to": "{self.training_format}"}}), then ask for its spec: POST /v1/tuning-jobs {{"provider": "{self.provider}"}}.'
        )


@dataclass(frozen=True)
class ModelProblem:
    """Why the requested model cannot serve the purpose today, and what to use instead."""

    code: ProblemCode
    model: str | None
    message: str
    replacement: str | None = None
    alternative: Alternative | None = None

    def error(self) -> ValidationFailed:
        """The 422 a request that names this model gets."""
        return ValidationFailed(self.message, code=self.code, field="model")


@dataclass(frozen=True)
class ModelChoice:
    """The model to use (``model_id`` as the request should carry it) and, when it differs from the request, why."""

    model: ModelEntry | None
    model_id: str | None
    problem: ModelProblem | None = None


@dataclass(frozen=True)
class Deadline:
    code: DeadlineCode
    date: dt.date
    days_left: int
    message: str


@dataclass(frozen=True)
class LifecycleNotice:
    """What a verdict or a spec should say about ``provider``/``model``: dates within 90 days and a way out."""

    provider: str
    model: str | None
    deadlines: list[Deadline] = field(default_factory=list)
    problem: ModelProblem | None = None
    alternative: Alternative | None = None

    @property
    def days_left(self) -> int | None:
        return min((d.days_left for d in self.deadlines), default=None)

    def messages(self) -> list[str]:
        lines = [self.problem.message] if self.problem else []
        lines += [d.message for d in self.deadlines]
        if self.alternative is not None and self.deadlines:
            lines.append(f"Alternative: {self.alternative.text()}")
        return lines


def _fits(entry: ProviderEntry, model: ModelEntry, purpose: Purpose, today: dt.date) -> bool:
    if purpose == "tuning":
        return entry.can_fine_tune(today) and model.tunable_on(today)
    return model.available_on(today)


def _reason(entry: ProviderEntry, model: ModelEntry, purpose: Purpose, today: dt.date) -> tuple[ProblemCode, str] | None:
    life = model.lifecycle
    if life.shutdown is not None and today >= life.shutdown:
        tuned = " with its fine-tunes" if life.fine_tunes_shut_down else ""
        return "model_retired", f"{model.id} was shut down on {life.shutdown}{tuned}"
    if life.released is not None and today < life.released:
        return "model_not_released", f"{model.id} is not released until {life.released}"
    if purpose != "tuning":
        return None
    end = entry.fine_tuning_end()
    if not entry.fine_tuning.supported or life.tuning is None:
        return "model_not_tunable", f"{model.id} cannot be fine-tuned"
    if end is not None and today >= end:
        return "model_not_tunable", f"{entry.display_name} stopped accepting new fine-tuning jobs on {end}"
    tuning = life.tuning
    if tuning.available_from is not None and today < tuning.available_from:
        return "model_not_tunable", f"tuning {model.id} opens on {tuning.available_from}"
    if tuning.available_until is not None and today >= tuning.available_until:
        return "model_not_tunable", f"new tuning jobs on {model.id} stopped on {tuning.available_until}"
    return None


def _ends_soon(entry: ProviderEntry, model: ModelEntry, purpose: Purpose, today: dt.date) -> bool:
    return bool(deadlines(entry, model, purpose, today))


def deadlines(entry: ProviderEntry, model: ModelEntry | None, purpose: Purpose, today: dt.date) -> list[Deadline]:
    """Dates within 90 days that end ``purpose`` on ``model`` (and, for tuning, on the provider), earliest first."""
    horizon = today + dt.timedelta(days=SOON_DAYS)
    found: list[Deadline] = []

    def add(code: DeadlineCode, day: dt.date | None, text: str) -> None:
        if day is not None and today <= day <= horizon:
            left = (day - today).days
            found.append(Deadline(code, day, left, f"{text} on {day} ({left} days left)"))

    end = entry.fine_tuning_end() if purpose == "tuning" else None
    add("provider_tuning_ends", end, f"{entry.display_name} stops accepting new fine-tuning jobs")
    if model is not None:
        life = model.lifecycle
        until = life.tuning.available_until if purpose == "tuning" and life.tuning else None
        if until != end:
            add("tuning_closes", until, f"New tuning jobs on {model.id} stop")
        tuned = " with its fine-tunes" if life.fine_tunes_shut_down else ""
        add("shutdown", life.shutdown, f"{model.id} shuts down{tuned}")
        if purpose == "tuning" and life.fine_tunes_shut_down and found and found[-1].code == "shutdown":
            last = found.pop()
            found.append(
                Deadline(last.code, last.date, last.days_left, f"{last.message}: a model tuned today serves at most that long")
            )
    return sorted(found, key=lambda d: d.date)


def alternative_to(name: str, purpose: Purpose, today: dt.date, catalog: Catalog | None = None) -> Alternative | None:
    """Another provider's default for ``purpose`` that is not itself ending within 90 days (catalog order)."""
    from service.providers.registry import all_providers

    for other in all_providers(catalog):
        entry = other.entry(catalog)
        if other.name == name or (purpose == "tuning" and entry.fine_tuning.status != "available"):
            continue
        model = entry.default_for(purpose, today)
        if model is not None and not _ends_soon(entry, model, purpose, today):
            fmt = other.training_format(catalog) if purpose == "tuning" else None
            return Alternative(other.name, entry.display_name, model.id, fmt)
    return None


def successor(
    provider: Provider, model: ModelEntry | None, purpose: Purpose, today: dt.date, catalog: Catalog | None = None
) -> Alternative | None:
    """Where to go from ``model``: a newer model of the same provider that is not ending soon, else another provider."""
    entry = provider.entry(catalog)
    for candidate in entry.defaults(purpose, today):
        if (model is None or candidate.id != model.id) and not _ends_soon(entry, candidate, purpose, today):
            fmt = provider.training_format(catalog) if purpose == "tuning" else None
            return Alternative(provider.name, entry.display_name, candidate.id, fmt, same_provider=True)
    return alternative_to(provider.name, purpose, today, catalog)


def _replacement(entry: ProviderEntry, model: ModelEntry, purpose: Purpose, today: dt.date) -> ModelEntry | None:
    """The provider's named replacement, else its default; one that is not itself ending within 90 days first."""
    named = entry.model(model.lifecycle.replacement) if model.lifecycle.replacement else None
    fitting = [m for m in (named, entry.default_for(purpose, today)) if m is not None and _fits(entry, m, purpose, today)]
    lasting = [m for m in fitting if not _ends_soon(entry, m, purpose, today)]
    ranked = lasting or fitting
    return ranked[0] if ranked else None


def choose_model(
    provider: Provider, requested: str | None, purpose: Purpose, today: dt.date, catalog: Catalog | None = None
) -> ModelChoice:
    """The model for ``purpose`` on ``today``: ``requested`` when it serves, else a replacement with the reason."""
    entry = provider.entry(catalog)
    if not requested:
        default = entry.default_for(purpose, today)
        if default is not None:
            return ModelChoice(default, default.id)
        alternative = alternative_to(provider.name, purpose, today, catalog)
        why = f"{entry.display_name} has no model to {_VERB[purpose]} on {today}"
        if purpose == "tuning" and (end := entry.fine_tuning_end()) and today >= end:
            why += f": it stopped accepting new fine-tuning jobs on {end}"
        elif purpose == "tuning" and not entry.fine_tuning.supported:
            why += ": it offers no fine-tuning"
        if alternative is not None:
            why += f"; use {alternative.display_name} {alternative.model} instead"
        return ModelChoice(None, None, ModelProblem("no_model", None, why + ".", alternative=alternative))
    found = entry.model(requested)
    if found is None:
        message = f"{requested} is not in the {entry.display_name} catalog: its limits, prices and dates are not checked."
        return ModelChoice(None, requested, ModelProblem("model_unknown", requested, message))
    reason = _reason(entry, found, purpose, today)
    if reason is None:
        return ModelChoice(found, requested)
    code, why = reason
    replacement = _replacement(entry, found, purpose, today)
    if replacement is not None:
        message = f"{why}; use {replacement.id} instead"
        ending = deadlines(entry, replacement, purpose, today)
        later = alternative_to(provider.name, purpose, today, catalog) if ending else None
        if ending and later is not None:
            message += f" (its end is near: {ending[0].message}; a longer-lived choice is {later.display_name} {later.model})"
        problem = ModelProblem(code, requested, message + ".", replacement=replacement.id, alternative=later)
        return ModelChoice(replacement, replacement.id, problem)
    alternative = alternative_to(provider.name, purpose, today, catalog)
    instead = f"; use {alternative.display_name} {alternative.model} instead" if alternative else ""
    return ModelChoice(None, None, ModelProblem(code, requested, f"{why}{instead}.", alternative=alternative))


def lifecycle_notice(
    provider: str, model: str | None, today: dt.date, purpose: Purpose = "tuning", catalog: Catalog | None = None
) -> LifecycleNotice | None:
    """What to tell a team using ``provider``/``model`` for ``purpose`` on ``today``; None when nothing ends soon.

    ``provider`` may be ``undecided`` (resolved as the registry resolves it). The engine turns this into a flag;
    the tuning spec into ``notices`` and ``alternative``.
    """
    from service.providers.registry import provider_for

    target = provider_for(provider, purpose, today, catalog)
    choice = target.model_for(model, purpose, today, catalog)
    problem = choice.problem if choice.problem and choice.problem.code != "model_unknown" else None
    found = deadlines(target.entry(catalog), choice.model, purpose, today)
    if problem is None and not found:
        return None
    alternative = problem.alternative if problem and problem.alternative else None
    if alternative is None and found:
        alternative = successor(target, choice.model, purpose, today, catalog)
    return LifecycleNotice(target.name, choice.model_id, found, problem, alternative)


def require_model(provider: str, model: str | None, purpose: Purpose, today: dt.date, catalog: Catalog | None = None) -> str:
    """The model id a request for ``purpose`` should name: ``model`` when it serves today, else the provider's default.

    A requested model that cannot serve (shut down, not released, not tunable) is a 422 naming its replacement:
    a prompt, a snippet or a job must never point at a model that no longer answers.
    """
    from service.providers.registry import provider_for

    target = provider_for(provider, purpose, today, catalog)
    choice = target.model_for(model, purpose, today, catalog)
    if choice.problem is not None and choice.problem.code != "model_unknown":
        raise choice.problem.error()
    if choice.model_id is None:
        raise ValidationFailed(
            f"No {target.name} model can {_VERB[purpose]} on {today}; choose another provider.", field="provider"
        )
    return choice.model_id
