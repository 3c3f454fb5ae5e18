"""Fake OpenAI Chat Completions and Anthropic Messages APIs behind the SDKs' own HTTP transport (httpx2.MockTransport)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx2


@dataclass
class FakeChat:
    """Answers POST /chat/completions with ``facts`` as the structured output, or fails as told."""

    facts: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    content: str | None = None  # raw message content instead of ``facts`` (e.g. not JSON)
    requests: list[dict[str, Any]] = field(default_factory=list)
    authorization: list[str] = field(default_factory=list)

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.authorization.append(request.headers.get("authorization", ""))
        if request.method != "POST" or not request.url.path.endswith("/chat/completions"):
            return httpx2.Response(404, json={"error": {"message": f"unexpected {request.method} {request.url.path}"}})
        body = json.loads(request.content)
        self.requests.append(body)
        if self.status != 200:
            return httpx2.Response(self.status, json={"error": {"message": "the model is overloaded", "type": "server_error"}})
        content = self.content if self.content is not None else json.dumps(complete(self.facts))
        return httpx2.Response(
            200,
            json={
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1,
                "model": body["model"],
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content, "refusal": None},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
            },
        )

    def client(self) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(self.handler))


@dataclass
class FakeMessages:
    """Answers POST /v1/messages with a forced tool call carrying ``facts``."""

    facts: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    requests: list[dict[str, Any]] = field(default_factory=list)

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        body = json.loads(request.content)
        self.requests.append(body)
        if self.status != 200:
            return httpx2.Response(self.status, json={"type": "error", "error": {"type": "api_error", "message": "down"}})
        return httpx2.Response(
            200,
            json={
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [
                    {"type": "tool_use", "id": "toolu_1", "name": body["tools"][0]["name"], "input": complete(self.facts)}
                ],
                "stop_reason": "tool_use",
                "stop_sequence": None,
                "usage": {"input_tokens": 10, "output_tokens": 10},
            },
        )

    def client(self) -> httpx2.Client:
        return httpx2.Client(transport=httpx2.MockTransport(self.handler))


PROFILE_FIELD_NAMES = (
    "task",
    "provider",
    "examples",
    "example_quality",
    "needs_external_knowledge",
    "knowledge_change",
    "strict_format",
    "custom_style",
    "domain_language",
    "narrow_task",
    "personalization",
    "prompting_status",
    "prompt_tokens",
    "requests_per_day",
    "model",
)


def complete(facts: dict[str, Any]) -> dict[str, Any]:
    """What a strict schema makes a model send: every field, null when the text does not state it."""
    return {name: facts.get(name) for name in PROFILE_FIELD_NAMES}
