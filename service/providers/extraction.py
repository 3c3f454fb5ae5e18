"""Structured extraction through a provider SDK: a system prompt, a text, a JSON schema in; a JSON object out.

The model is the caller's (the provider's ``extraction`` default on the day, see ``providers.factory``).

OpenAI answers through Chat Completions with a strict ``json_schema`` response format; Anthropic
through a single tool whose input schema is the same schema, forced with ``tool_choice``. Errors
leave here as AdvisorError subclasses whose messages never carry the key.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import Any

import anthropic
import httpx2
import openai

from service.config import Settings
from service.errors import AdvisorError, ProviderUnavailable
from service.providers.base import ExtractionClient

_TOOL = "record_profile"


class ExtractionRejected(AdvisorError):
    status = 422
    code = "provider_rejected"
    title = "The provider rejected the request"


class OpenAIExtraction:
    """Chat Completions with ``response_format={"type": "json_schema", "strict": true}``."""

    name = "openai"

    def __init__(
        self,
        api_key: str,
        *,
        model: str,
        base_url: str | None = None,
        http_client: httpx2.Client | None = None,
        max_retries: int = 1,
        timeout: float = 30.0,
    ) -> None:
        self._model = model
        self._client = openai.OpenAI(
            api_key=api_key, base_url=base_url, http_client=http_client, max_retries=max_retries, timeout=timeout
        )

    def extract(self, *, system: str, text: str, schema: dict[str, Any]) -> dict[str, Any]:
        try:
            completion = self._client.chat.completions.create(
                model=self._model,
                messages=[{"role": "system", "content": system}, {"role": "user", "content": text}],
                response_format={
                    "type": "json_schema",
                    "json_schema": {"name": "intake_profile", "strict": True, "schema": schema},
                },
                temperature=0,
            )
        except openai.OpenAIError as exc:
            raise _openai_error(exc) from None
        choice = completion.choices[0]
        if getattr(choice.message, "refusal", None):
            raise ExtractionRejected("OpenAI declined to extract from this text.", code="provider_refused")
        if choice.finish_reason == "length":
            raise ExtractionRejected("OpenAI's answer was cut off before the JSON ended.", code="provider_truncated")
        return _json_object(choice.message.content or "")


class AnthropicExtraction:
    """Messages API with one tool whose input schema is the extraction schema, and ``tool_choice`` forcing it."""

    name = "anthropic"

    def __init__(
        self,
        api_key: str,
        *,
        model: str,
        base_url: str | None = None,
        http_client: httpx2.Client | None = None,
        max_retries: int = 1,
        timeout: float = 30.0,
    ) -> None:
        self._model = model
        self._client = anthropic.Anthropic(
            api_key=api_key, base_url=base_url, http_client=http_client, max_retries=max_retries, timeout=timeout
        )

    def extract(self, *, system: str, text: str, schema: dict[str, Any]) -> dict[str, Any]:
        try:
            message = self._client.messages.create(
                model=self._model,
                max_tokens=2048,
                system=system,
                messages=[{"role": "user", "content": text}],
                tools=[{"name": _TOOL, "description": "Record the facts the text states.", "input_schema": schema}],
                tool_choice={"type": "tool", "name": _TOOL},
            )
        except anthropic.AnthropicError as exc:
            raise _anthropic_error(exc) from None
        for block in message.content:
            if isinstance(block, anthropic.types.ToolUseBlock) and isinstance(block.input, dict):
                return dict(block.input)
        raise ExtractionRejected("Anthropic answered without calling the extraction tool.", code="provider_bad_output")


def _json_object(content: str) -> dict[str, Any]:
    try:
        data = json.loads(content)
    except json.JSONDecodeError:
        raise ExtractionRejected("The provider's answer is not JSON.", code="provider_bad_output") from None
    if not isinstance(data, dict):
        raise ExtractionRejected("The provider's answer is not a JSON object.", code="provider_bad_output")
    return data


def _openai_error(exc: openai.OpenAIError) -> AdvisorError:
    # Messages are written here, not copied from the SDK: ours can never echo a header or a key.
    if isinstance(exc, openai.APITimeoutError):
        return ProviderUnavailable("OpenAI did not answer in time.", code="provider_timeout", status=504)
    if isinstance(exc, openai.APIConnectionError):
        return ProviderUnavailable("OpenAI could not be reached.")
    if isinstance(exc, openai.AuthenticationError):
        return ExtractionRejected("OpenAI refused the API key; check OPENAI_API_KEY.", code="provider_auth_failed")
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code >= 500 or exc.status_code == 429:
            return ProviderUnavailable(f"OpenAI answered {exc.status_code}; try again later.")
        return ExtractionRejected(f"OpenAI rejected the request ({exc.status_code}).")
    return ProviderUnavailable("The OpenAI SDK failed before an answer arrived.")


def _anthropic_error(exc: anthropic.AnthropicError) -> AdvisorError:
    if isinstance(exc, anthropic.APITimeoutError):
        return ProviderUnavailable("Anthropic did not answer in time.", code="provider_timeout", status=504)
    if isinstance(exc, anthropic.APIConnectionError):
        return ProviderUnavailable("Anthropic could not be reached.")
    if isinstance(exc, anthropic.AuthenticationError):
        return ExtractionRejected("Anthropic refused the API key; check ANTHROPIC_API_KEY.", code="provider_auth_failed")
    if isinstance(exc, anthropic.APIStatusError):
        if exc.status_code >= 500 or exc.status_code == 429:
            return ProviderUnavailable(f"Anthropic answered {exc.status_code}; try again later.")
        return ExtractionRejected(f"Anthropic rejected the request ({exc.status_code}).")
    return ProviderUnavailable("The Anthropic SDK failed before an answer arrived.")


def extraction_clients(settings: Settings, clock: Callable[[], dt.date]) -> Callable[[str], ExtractionClient | None]:
    """A function provider -> extraction client on that provider's extraction model for ``clock()``'s day."""
    from service.providers.factory import extraction_clients as build

    return build(settings, clock)
