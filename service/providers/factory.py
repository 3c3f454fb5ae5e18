"""Provider clients built from the settings; tests swap the factory for one with a fake transport."""

from __future__ import annotations

from service.config import Settings
from service.providers.base import TuningClient


def tuning_clients(settings: Settings):  # type: ignore[no-untyped-def]
    """A function provider -> TuningClient, or None when that provider has no key configured."""

    def build(provider: str) -> TuningClient | None:
        if provider == "openai" and settings.openai_api_key is not None:
            from service.providers.openai import OpenAITuning

            return OpenAITuning(settings.openai_api_key.get_secret_value(), base_url=settings.openai_base_url)
        return None

    return build
