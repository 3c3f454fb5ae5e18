"""Anthropic: XML-tagged prompts and structured extraction; no fine-tuning, so its spec is a prompt that carries the behaviour."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from knowledge.loader import Catalog
from service.providers.base import ExtractionClient, Provider

if TYPE_CHECKING:
    from service.config import Settings


class AnthropicProvider(Provider):
    name = "anthropic"
    shape = "anthropic"
    prompt_sdk = ("anthropic",)
    key_env = "ANTHROPIC_API_KEY"

    def no_tuning_snippet(self, today: dt.date, catalog: Catalog | None = None) -> str:
        model = self.default_model("prompting", today, catalog)
        return self.render("prompting.py.j2", model=model.id) if model else ""

    def extraction_client(self, settings: Settings, model: str) -> ExtractionClient | None:
        if settings.anthropic_api_key is None:
            return None
        from service.providers.extraction import AnthropicExtraction

        return AnthropicExtraction(settings.anthropic_api_key.get_secret_value(), model=model)


PROVIDER = AnthropicProvider()
