"""Hosted providers through their SDKs' own HTTP transport (httpx2.MockTransport): the request each SDK sends,
the answer read back, retryable errors with Retry-After, keys never in a stored error, and the catalog's prices."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx2
import pytest

from knowledge.loader import default_catalog
from service.experiments.runner import run_experiment
from service.providers.chat import ChatClient, ChatError
from tests.conftest import TODAY
from tests.service.experiments.test_experiments import make_client

KEY = "sk-test-9f8e7d6c5b4a3f2e1d0c"


def openai_reply(request: httpx2.Request) -> httpx2.Response:
    sent = json.loads(request.content)
    answer = "refund" if "money back" in sent["messages"][-1]["content"] else "billing"
    return httpx2.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": sent["model"],
            "choices": [{"index": 0, "message": {"role": "assistant", "content": answer}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 120, "completion_tokens": 4, "total_tokens": 124},
        },
    )


def client(provider: Any, handler: Any) -> ChatClient:
    return ChatClient(provider, KEY, http_client=httpx2.Client(transport=httpx2.MockTransport(handler)))


def test_openai_request_and_reply() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return openai_reply(request)

    reply = client("openai", handler).complete("gpt-4.1-mini", "Label the ticket.", [{"role": "user", "content": "Hi"}], 64)
    assert (reply.text, reply.input_tokens, reply.output_tokens) == ("billing", 120, 4)
    sent = json.loads(seen[0].content)
    assert seen[0].url.path == "/v1/chat/completions" and seen[0].headers["authorization"] == f"Bearer {KEY}"
    assert sent["messages"] == [{"role": "system", "content": "Label the ticket."}, {"role": "user", "content": "Hi"}]
    assert sent["max_completion_tokens"] == 64 and sent["temperature"] == 0 and "max_tokens" not in sent


def test_anthropic_request_and_reply() -> None:
    seen: list[dict[str, Any]] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(
            {
                "path": request.url.path,
                "key": request.headers.get("x-api-key") or request.headers.get("authorization", "").removeprefix("Bearer "),
                "body": json.loads(request.content),
            }
        )
        return httpx2.Response(
            200,
            json={
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "claude-haiku-4-5",
                "content": [{"type": "text", "text": "ship"}, {"type": "text", "text": "ping"}],
                "stop_reason": "end_turn",
                "usage": {"input_tokens": 30, "output_tokens": 2},
            },
        )

    turns = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]
    reply = client("anthropic", handler).complete("claude-haiku-4-5", "Be brief.", turns, 32)
    assert (reply.text, reply.input_tokens, reply.output_tokens) == ("shipping", 30, 2)
    (call,) = seen
    assert call["path"] == "/v1/messages" and call["key"] == KEY
    assert call["body"]["system"] == "Be brief." and call["body"]["messages"] == turns and call["body"]["max_tokens"] == 32


def test_google_request_and_reply() -> None:
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        return httpx2.Response(
            200,
            json={
                "candidates": [{"content": {"role": "model", "parts": [{"text": "account"}]}, "finishReason": "STOP"}],
                "usageMetadata": {"promptTokenCount": 11, "candidatesTokenCount": 1, "totalTokenCount": 12},
            },
        )

    turns = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}, {"role": "user", "content": "c"}]
    reply = client("google", handler).complete("gemini-2.5-flash", "Label it.", turns, 16)
    assert (reply.text, reply.input_tokens, reply.output_tokens) == ("account", 11, 1)
    (request,) = seen
    sent = json.loads(request.content)
    assert request.url.path.endswith("/models/gemini-2.5-flash:generateContent") and request.headers["x-goog-api-key"] == KEY
    assert [c["role"] for c in sent["contents"]] == ["user", "model", "user"] and sent["contents"][1]["parts"] == [{"text": "b"}]
    assert sent["systemInstruction"]["parts"] == [{"text": "Label it."}]
    assert sent["generationConfig"] == {"maxOutputTokens": 16, "temperature": 0.0}


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google"])
def test_errors_are_typed_retryable_and_carry_no_key(provider: str) -> None:
    def limited(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(
            429, headers={"retry-after": "3"}, json={"error": {"message": "slow down", "type": "rate_limit_error"}}
        )

    with pytest.raises(ChatError) as limited_error:
        client(provider, limited).complete("m", None, [{"role": "user", "content": "x"}], 8)
    assert (limited_error.value.status, limited_error.value.retryable, limited_error.value.retry_after) == (429, True, 3.0)

    def echoes_key(request: httpx2.Request) -> httpx2.Response:
        message = f"Incorrect API key provided: {KEY[:8]}****{KEY[-6:]} and {KEY.upper()}"
        return httpx2.Response(400, json={"error": {"message": message, "type": "invalid_request_error"}})

    with pytest.raises(ChatError) as rejected:
        client(provider, echoes_key).complete("m", None, [{"role": "user", "content": "x"}], 8)
    assert rejected.value.status == 400 and not rejected.value.retryable
    assert KEY.lower()[3:] not in rejected.value.message.lower() and "[redacted]" in rejected.value.message


def test_an_openai_experiment_is_priced_from_the_catalog(tmp_path: Path) -> None:
    items = [
        {"input": "I want my money back", "expected": "refund"},
        {"input": "Card charged twice", "expected": "billing"},
        {"input": "Where is my parcel?", "expected": "shipping"},
    ]
    target = {"provider": "openai", "model": "gpt-4.1-mini"}
    for api in make_client(tmp_path, OPENAI_API_KEY=KEY):
        accepted = api.post("/v1/experiments", json={"items": items, "target": target, "grader": "label"})
        assert accepted.status_code == 202, accepted.text
        state = run_experiment(
            api.app.state.database,  # type: ignore[attr-defined]
            accepted.json()["id"],
            api.app.state.settings,  # type: ignore[attr-defined]
            client_for=lambda target: client("openai", openai_reply),
            today=TODAY,
        )
        assert state == "succeeded"
        (candidate,) = api.get(f"/v1/experiments/{accepted.json()['id']}").json()["candidates"]
    price = default_catalog().providers["openai"].model("gpt-4.1-mini", TODAY).price  # type: ignore[union-attr]
    assert price is not None
    assert candidate["cost_usd"] == pytest.approx(3 * (120 * price.input_per_mtok + 4 * price.output_per_mtok) / 1e6)
    assert (candidate["n"], candidate["correct"], candidate["graders"]) == (3, 2, {"label": 3})
    assert [r["output"] for r in candidate["results"]] == ["refund", "billing", "billing"]
    assert accepted.json()["estimate_usd"] > 0
