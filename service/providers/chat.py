"""One chat completion through a provider's SDK: ``ChatClient.complete(system, messages, max_tokens)``.

OpenAI and any OpenAI-compatible server (vLLM, Ollama, llama.cpp, TGI) through the openai SDK, Anthropic
through anthropic, Google through google-genai. The SDKs' own retries are off: the experiment runner
retries 429 and 5xx itself, honouring ``Retry-After``, so it can count calls and back off across threads.
Errors leave as ``ChatError`` whose message never carries the key (``redaction.redact``).
"""

from __future__ import annotations

import email.utils
import time
from dataclasses import dataclass
from typing import Any, Literal

import httpx2

from service.providers.redaction import redact

ChatProvider = Literal["openai", "anthropic", "google", "openai_compatible"]


@dataclass(frozen=True)
class Reply:
    text: str
    input_tokens: int
    output_tokens: int


class ChatError(Exception):
    """A call that failed: ``retryable`` for 429, 5xx, timeouts and lost connections; ``retry_after`` in seconds."""

    def __init__(self, message: str, *, status: int | None, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.retryable = retryable
        self.retry_after = retry_after


def retry_after(headers: Any) -> float | None:
    """Seconds from a Retry-After header (a number or an HTTP date), or from OpenAI's retry-after-ms."""
    if headers is None:
        return None
    milliseconds = headers.get("retry-after-ms")
    value = headers.get("retry-after")
    try:
        if milliseconds is not None:
            return max(0.0, float(milliseconds) / 1000)
        if value is None:
            return None
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None


class ChatClient:
    """A client for one provider and base URL, shared by the runner's threads (the SDK clients are thread-safe)."""

    def __init__(
        self,
        provider: ChatProvider,
        key: str,
        *,
        base_url: str | None = None,
        http_client: httpx2.Client | None = None,
        timeout: float = 60.0,
    ) -> None:
        self.provider = provider
        self._key = key
        if provider == "anthropic":
            import anthropic

            self._sdk: Any = anthropic
            self._client: Any = anthropic.Anthropic(
                api_key=key, base_url=base_url, http_client=http_client, max_retries=0, timeout=timeout
            )
        elif provider == "google":
            from google import genai

            self._sdk = genai
            options = genai.types.HttpOptions(timeout=int(timeout * 1000), base_url=base_url, httpx_client=http_client)
            self._client = genai.Client(api_key=key, http_options=options)
        else:
            import openai

            self._sdk = openai
            self._client = openai.OpenAI(api_key=key, base_url=base_url, http_client=http_client, max_retries=0, timeout=timeout)

    def complete(self, model: str, system: str | None, messages: list[dict[str, str]], max_tokens: int) -> Reply:
        """The model's answer to ``messages`` (user/assistant turns) after ``system`` (temperature 0 where the API has one)."""
        try:
            if self.provider == "anthropic":
                return self._anthropic(model, system, messages, max_tokens)
            if self.provider == "google":
                return self._google(model, system, messages, max_tokens)
            return self._openai(model, system, messages, max_tokens)
        except ChatError:
            raise
        except Exception as exc:
            raise self._error(exc) from None

    def _openai(self, model: str, system: str | None, messages: list[dict[str, str]], max_tokens: int) -> Reply:
        sent = ([{"role": "system", "content": system}] if system else []) + messages
        # OpenAI's newer models take max_completion_tokens only; servers that copy the API know max_tokens.
        limit = {"max_completion_tokens": max_tokens} if self.provider == "openai" else {"max_tokens": max_tokens}
        completion = self._client.chat.completions.create(model=model, messages=sent, temperature=0, **limit)
        usage = completion.usage
        text = completion.choices[0].message.content if completion.choices else None
        return Reply(text or "", getattr(usage, "prompt_tokens", 0) or 0, getattr(usage, "completion_tokens", 0) or 0)

    def _anthropic(self, model: str, system: str | None, messages: list[dict[str, str]], max_tokens: int) -> Reply:
        extra = {"system": system} if system else {}
        # Anthropic's SDK 2.x takes no sampling temperature on Messages: the model's default is what users get too.
        message = self._client.messages.create(model=model, max_tokens=max_tokens, messages=messages, **extra)
        text = "".join(getattr(block, "text", "") for block in message.content)
        return Reply(text, message.usage.input_tokens or 0, message.usage.output_tokens or 0)

    def _google(self, model: str, system: str | None, messages: list[dict[str, str]], max_tokens: int) -> Reply:
        types = self._sdk.types
        contents = [
            types.Content(role="model" if turn["role"] == "assistant" else "user", parts=[types.Part(text=turn["content"])])
            for turn in messages
        ]
        config = types.GenerateContentConfig(system_instruction=system, max_output_tokens=max_tokens, temperature=0)
        response = self._client.models.generate_content(model=model, contents=contents, config=config)
        usage = response.usage_metadata
        return Reply(
            response.text or "",
            getattr(usage, "prompt_token_count", 0) or 0,
            getattr(usage, "candidates_token_count", 0) or 0,
        )

    def _error(self, exc: Exception) -> ChatError:
        status = getattr(exc, "status_code", None) or getattr(exc, "code", None)
        status = status if isinstance(status, int) else None
        response = getattr(exc, "response", None)
        timeout_or_connection = any(word in type(exc).__name__ for word in ("Timeout", "Connection", "Connect"))
        retryable = timeout_or_connection or status == 429 or (status is not None and status >= 500)
        text = redact(f"{type(exc).__name__}: {exc}"[:500], self._key)
        return ChatError(
            text,
            status=status,
            retryable=retryable,
            retry_after=retry_after(getattr(response, "headers", None)),
        )

    def close(self) -> None:
        close = getattr(self._client, "close", None)
        if callable(close):
            close()
