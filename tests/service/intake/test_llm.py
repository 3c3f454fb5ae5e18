"""The LLM path through the real OpenAI and Anthropic SDKs, faked at their HTTP transport."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rules.facts import PROFILE_FIELDS
from service.config import Settings
from service.intake import extract
from service.intake.drafting import llm_provider
from service.main import create_app
from service.providers.extraction import AnthropicExtraction, OpenAIExtraction
from tests.service.intake.fake_llm import FakeChat, FakeMessages

CANARY_KEY = "sk-test-canary-intake-5550123"
TEXT = "We have about 2,000 labelled tickets, the docs change every week, output must be JSON. We use Claude."
GOOD_FACTS: dict[str, Any] = {
    "task": {"value": "Answer support tickets from the docs", "quote": "We have about 2,000 labelled tickets"},
    "examples": {"value": 2000, "quote": "about 2,000 labelled tickets"},
    "knowledge_change": {"value": "weekly", "quote": "the docs change every week"},
    "needs_external_knowledge": {"value": True, "quote": "the docs change every week"},
    "strict_format": {"value": True, "quote": "output must be JSON"},
    "provider": {"value": "anthropic", "quote": "We use Claude"},
}


def openai_settings(tmp_path: Path, **extra: Any) -> Settings:
    return Settings(
        data_dir=tmp_path / "data", intake_provider="auto", openai_api_key=CANARY_KEY, anthropic_api_key=None, **extra
    )


def openai_factory(fake: FakeChat) -> Any:
    return lambda provider: (
        OpenAIExtraction(
            CANARY_KEY, model="gpt-6-luna", base_url="https://fake.openai.test/v1", http_client=fake.client(), max_retries=0
        )
        if provider == "openai"
        else None
    )


def test_structured_output_becomes_a_checked_draft(tmp_path: Path) -> None:
    fake = FakeChat(facts=GOOD_FACTS)
    result = extract(TEXT, None, openai_settings(tmp_path), openai_factory(fake))
    assert result.source == "llm"
    assert result.notes == []
    assert result.profile == {
        "task": "Answer support tickets from the docs",
        "examples": 2000,
        "knowledge_change": "weekly",
        "needs_external_knowledge": True,
        "strict_format": True,
        "provider": "anthropic",
    }
    for evidence in result.evidence:
        assert TEXT[evidence.start : evidence.end] == evidence.text
    assert "prompting_status" in result.missing and "examples" not in result.missing
    sent = fake.requests[0]
    response_format = sent["response_format"]
    assert response_format["type"] == "json_schema" and response_format["json_schema"]["strict"] is True
    schema = response_format["json_schema"]["schema"]
    assert schema["required"] == list(PROFILE_FIELDS) and schema["additionalProperties"] is False
    assert sent["messages"][-1] == {"role": "user", "content": TEXT}
    assert fake.authorization == [f"Bearer {CANARY_KEY}"]


def test_a_quote_that_is_not_in_the_text_drops_its_field(tmp_path: Path) -> None:
    facts = {**GOOD_FACTS, "custom_style": {"value": True, "quote": "replies must sound like our brand"}}
    result = extract(TEXT, "en", openai_settings(tmp_path), openai_factory(FakeChat(facts=facts)))
    assert result.source == "llm"
    assert "custom_style" not in result.profile
    assert any("custom_style" in note and "not in the text" in note for note in result.notes)
    assert result.profile["examples"] == 2000


def test_values_the_profile_rejects_are_dropped(tmp_path: Path) -> None:
    facts = {**GOOD_FACTS, "examples": {"value": -5, "quote": "about 2,000 labelled tickets"}}
    result = extract(TEXT, "en", openai_settings(tmp_path), openai_factory(FakeChat(facts=facts)))
    assert "examples" not in result.profile
    assert any(note.startswith("Dropped examples") for note in result.notes)


@pytest.mark.parametrize(("status", "content"), [(500, None), (401, None), (429, None), (200, "this is not json")])
def test_provider_failure_falls_back_to_the_rules(tmp_path: Path, status: int, content: str | None) -> None:
    fake = FakeChat(status=status, content=content)
    result = extract(TEXT, None, openai_settings(tmp_path), openai_factory(fake))
    assert result.source == "rules"
    assert result.profile["examples"] == 2000 and result.profile["provider"] == "anthropic"
    assert any("openai extraction failed" in note for note in result.notes)
    assert CANARY_KEY not in result.model_dump_json()


def test_anthropic_tool_use(tmp_path: Path) -> None:
    fake = FakeMessages(facts=GOOD_FACTS)
    settings = Settings(data_dir=tmp_path / "data", intake_provider="anthropic", anthropic_api_key=CANARY_KEY)

    def factory(provider: str) -> AnthropicExtraction | None:
        return AnthropicExtraction(
            CANARY_KEY, model="claude-haiku-5-5", base_url="https://fake.anthropic.test", http_client=fake.client(), max_retries=0
        )

    result = extract(TEXT, None, settings, factory)
    assert result.source == "llm" and result.profile["knowledge_change"] == "weekly"
    sent = fake.requests[0]
    assert sent["model"] == "claude-haiku-5-5"
    assert sent["tool_choice"] == {"type": "tool", "name": sent["tools"][0]["name"]}
    assert sent["tools"][0]["input_schema"]["required"] == list(PROFILE_FIELDS)


def test_which_extractor_runs(tmp_path: Path) -> None:
    base = {"data_dir": tmp_path, "openai_api_key": None, "anthropic_api_key": None}
    assert llm_provider(Settings(**base)) == (None, None)
    assert llm_provider(Settings(**{**base, "openai_api_key": CANARY_KEY})) == ("openai", None)
    assert llm_provider(Settings(**{**base, "anthropic_api_key": CANARY_KEY})) == ("anthropic", None)
    assert llm_provider(Settings(**{**base, "openai_api_key": CANARY_KEY, "intake_provider": "rules"})) == (None, None)
    provider, note = llm_provider(Settings(**{**base, "intake_provider": "openai"}))
    assert provider is None and note is not None and "OPENAI_API_KEY" in note


# --- Over HTTP -------------------------------------------------------------------------------------------------


@pytest.fixture
def fake() -> FakeChat:
    return FakeChat(facts=GOOD_FACTS)


@pytest.fixture
def api(tmp_path: Path, fake: FakeChat) -> Iterator[TestClient]:
    app = create_app(openai_settings(tmp_path))
    app.state.extraction_clients = openai_factory(fake)
    with TestClient(app) as client:
        yield client
    app.state.database.dispose()


def test_http_uses_the_injected_provider(api: TestClient, fake: FakeChat) -> None:
    response = api.post("/v1/intake", json={"text": TEXT})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "llm" and body["profile"]["examples"] == 2000
    assert len(fake.requests) == 1
    assert CANARY_KEY not in response.text


def test_http_provider_500_is_a_200_from_the_rules(api: TestClient, fake: FakeChat) -> None:
    fake.status = 500
    response = api.post("/v1/intake", json={"text": TEXT, "lang": "en"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["source"] == "rules" and body["profile"]["knowledge_change"] == "weekly"
    assert any("openai extraction failed (provider_error)" in note for note in body["notes"])
    assert CANARY_KEY not in response.text
