"""Provider clients built from the settings; tests swap the factories for ones with a fake transport."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from service.config import Settings
from service.errors import ValidationFailed
from service.providers.base import ExtractionClient, TuningClient
from service.providers.registry import provider_for

Clock = Callable[[], dt.date]


def tuning_clients(settings: Settings) -> Callable[[str], TuningClient | None]:
    """A function provider -> TuningClient, or None when the advisor does not submit for it or has no key."""

    def build(provider: str) -> TuningClient | None:
        try:
            found = provider_for(provider)
        except (ValidationFailed, ValueError):  # unknown, or undecided (a job needs a named provider)
            return None
        return found.tuning_client(settings) if found.submits_jobs else None

    return build


def extraction_clients(settings: Settings, clock: Clock) -> Callable[[str], ExtractionClient | None]:
    """A function provider -> extraction client on the provider's extraction default for ``clock()``'s day."""

    def build(provider: str) -> ExtractionClient | None:
        try:
            found = provider_for(provider)
        except (ValidationFailed, ValueError):
            return None
        model = found.default_model("extraction", clock())
        return found.extraction_client(settings, model.id) if model else None

    return build
