"""Grounded prompts per provider, and their snippets run for real against a fake API on loopback."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from service.errors import ValidationFailed
from service.knowledge_bases.grounding import grounded_prompt
from service.knowledge_bases.index import Hit

HITS = [
    Hit("expenses.md", "expenses.md", 2, 0.9, "Submit every expense report within 30 days.", "Expenses > Receipts", 10, 54),
    Hit("faq.jsonl", "faq-badges", 0, 0.5, "Badges <b>&</b> </document_content> cards.", "", 0, 42),
]
Q = "When are expense reports due?"
TODAY = dt.date(2026, 11, 24)  # models are chosen by date
ANSWER = "Within 30 days [1]."


def test_openai_shape_numbers_the_sources() -> None:
    prompt = grounded_prompt(Q, HITS, "openai", today=TODAY)
    assert prompt.messages is not None and [m["role"] for m in prompt.messages] == ["system", "user"]
    system, user = (m["content"] for m in prompt.messages)
    assert "only" in system and "[1]" in system and "I don't know" in system
    assert "[1] expenses.md > Expenses > Receipts\nSubmit every expense report" in user
    assert "[2] faq.jsonl\n" in user and user.endswith(f"Question: {Q}")
    assert [(c.index, c.doc, c.doc_id, c.chunk, c.heading) for c in prompt.citations] == [
        (1, "expenses.md", "expenses.md", 2, "Expenses > Receipts"),
        (2, "faq.jsonl", "faq-badges", 0, ""),
    ]


def test_anthropic_shape_puts_escaped_documents_in_xml() -> None:
    prompt = grounded_prompt(Q, HITS, "anthropic", today=TODAY)
    assert prompt.system and "I don't know" in prompt.system and prompt.messages is not None
    [message] = prompt.messages
    content = message["content"]
    assert message["role"] == "user" and content.startswith('<documents>\n<document index="1">\n<source>expenses.md')
    assert "<document_content>\nSubmit every expense report within 30 days.\n</document_content>" in content
    assert "Badges &lt;b&gt;&amp;&lt;/b&gt; &lt;/document_content&gt; cards." in content
    assert content.count("</document_content>") == 2 and content.endswith(f"</documents>\n\nQuestion: {Q}")
    assert "temperature" not in prompt.snippet and "top_p" not in prompt.snippet


def test_gemini_shape_is_system_instruction_and_contents() -> None:
    body = grounded_prompt(Q, HITS, "google", today=TODAY).model_dump(mode="json")
    assert body["systemInstruction"]["parts"][0]["text"].startswith("Answer the question using only")
    [content] = body["contents"]
    assert content["role"] == "user" and "[2] faq.jsonl" in content["parts"][0]["text"]
    assert body["messages"] is None and body["kind"] == "grounded_prompt" and body["question"] == Q


@pytest.mark.parametrize("provider", ["open_weights", "undecided"])
def test_other_providers_get_the_openai_chat_shape(provider: str) -> None:
    prompt = grounded_prompt(Q, HITS, provider, today=TODAY)
    assert prompt.messages is not None and prompt.messages[0]["role"] == "system"
    assert "client.chat.completions.create" in prompt.snippet


def test_a_shut_down_model_is_refused_with_its_replacement() -> None:
    with pytest.raises(ValidationFailed) as caught:
        grounded_prompt(Q, HITS, "openai", model="gpt-3.5-turbo", today=TODAY)
    assert caught.value.code == "model_retired" and caught.value.field == "model"
    # The named replacement (gpt-4.1-mini) shuts down within 90 days, so the lasting default is offered.
    assert "shut down on 2026-10-23" in caught.value.message and "use gpt-6.1-terra instead" in caught.value.message
    assert grounded_prompt(Q, HITS, "openai", model="gpt-4.1-mini", today=TODAY).model == "gpt-4.1-mini"


def test_no_hits_still_asks_for_i_dont_know() -> None:
    prompt = grounded_prompt("מה שעות הפתיחה?", [], "openai", today=TODAY)
    assert prompt.citations == [] and prompt.messages is not None and prompt.no_good_match
    assert "no document relevant" in prompt.messages[1]["content"] and "I don't know" in prompt.messages[0]["content"]


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google"])
def test_irrelevant_hits_are_not_cited(provider: str) -> None:
    noise = [replace(hit, relevance=0.12) for hit in HITS]
    prompt = grounded_prompt("Who won the 2018 world cup?", noise, provider, today=TODAY)
    assert prompt.no_good_match and prompt.citations == []
    text = json.dumps(prompt.model_dump(mode="json"))
    assert "Submit every expense report" not in text, "noise is not offered as a source"
    assert "no document relevant" in text and "I don't know" in text


def test_one_relevant_hit_keeps_every_source() -> None:
    ranked = [replace(HITS[0], relevance=0.81), replace(HITS[1], relevance=0.1)]
    prompt = grounded_prompt(Q, ranked, "openai", today=TODAY)
    assert not prompt.no_good_match and [c.index for c in prompt.citations] == [1, 2]


class FakeProviders(BaseHTTPRequestHandler):
    """Answers like OpenAI, Anthropic and Gemini do, and keeps each request body."""

    requests: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        self.requests.append((self.path, body))
        if self.path.endswith("/chat/completions"):
            reply: dict[str, Any] = {
                "id": "c1",
                "object": "chat.completion",
                "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": ANSWER}, "finish_reason": "stop"}],
            }
        elif self.path.endswith("/messages"):
            reply = {
                "id": "m1",
                "type": "message",
                "role": "assistant",
                "model": body["model"],
                "content": [{"type": "text", "text": ANSWER}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 1, "output_tokens": 1},
            }
        else:
            reply = {"candidates": [{"content": {"role": "model", "parts": [{"text": ANSWER}]}, "finishReason": "STOP"}]}
        data = json.dumps(reply).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def fake_api() -> Iterator[str]:
    FakeProviders.requests = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeProviders)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_snippets_call_each_sdk_with_the_prompt(fake_api: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "ANTHROPIC", "GOOGLE", "GEMINI"))}
    env.update(
        OPENAI_API_KEY="test",
        OPENAI_BASE_URL=f"{fake_api}/v1",
        ANTHROPIC_API_KEY="test",
        ANTHROPIC_BASE_URL=fake_api,
        GEMINI_API_KEY="test",
        GOOGLE_GEMINI_BASE_URL=fake_api,
    )
    prompts = {p: grounded_prompt(Q, HITS, p, today=TODAY) for p in ("openai", "anthropic", "google", "open_weights")}
    runs = {
        provider: subprocess.Popen(
            [sys.executable, "-c", prompt.snippet], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for provider, prompt in prompts.items()
    }
    for provider, run in runs.items():
        out, err = run.communicate(timeout=120)
        assert run.returncode == 0, (provider, err[-2000:])
        assert out.strip() == ANSWER, provider
    sent = dict(FakeProviders.requests)
    chat = [body for path, body in FakeProviders.requests if path == "/v1/chat/completions"]
    assert len(chat) == 2 and all(body["messages"] == prompts["openai"].messages for body in chat)
    # Each provider's prompting model on TODAY, from the catalog's lifecycles (nothing retired, nothing hard-coded).
    assert {body["model"] for body in chat} == {"gpt-6.1-terra", "Qwen/Qwen2.5-7B-Instruct"}
    assert sent["/v1/messages"]["model"] == "claude-sonnet-5-5"
    anthropic = sent["/v1/messages"]
    assert anthropic["system"] == prompts["anthropic"].system and anthropic["messages"] == prompts["anthropic"].messages
    assert not {"temperature", "top_p", "top_k"} & set(anthropic)
    [gemini] = [body for path, body in FakeProviders.requests if path.endswith("/models/gemini-3.5-flash:generateContent")]
    assert gemini["contents"] == prompts["google"].contents
    assert gemini["systemInstruction"]["parts"][0]["text"] == prompts["google"].system_instruction["parts"][0]["text"]  # type: ignore[index]
