"""Each provider's request shape, the per-user state block, and the scripts handed to users."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from service.prompts.schemas import FewShotPrompt, FewShotRequest
from service.prompts.service import build_few_shot
from tests.service.prompts.conftest import TASK, TODAY, Embed, ticket_examples


def build(embed: Embed, **fields: Any) -> FewShotPrompt:
    body = {"task": TASK, "examples": ticket_examples(), "token_budget": 2000, "k": 4, **fields}
    return build_few_shot(FewShotRequest.model_validate(body), embed, today=TODAY)


def chosen_pairs(prompt: FewShotPrompt, examples: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(examples[i]["input"], examples[i]["output"]) for i in prompt.example_ids]


def test_openai_is_a_system_message_then_alternating_example_turns(embed: Embed) -> None:
    prompt = build(embed, provider="openai")
    messages = prompt.messages or []
    assert messages[0]["role"] == "system" and TASK in messages[0]["content"]
    turns = messages[1:-1]
    assert [m["role"] for m in turns] == ["user", "assistant"] * len(prompt.example_ids)
    pairs = [(turns[i]["content"], turns[i + 1]["content"]) for i in range(0, len(turns), 2)]
    assert pairs == chosen_pairs(prompt, ticket_examples())
    assert messages[-1] == {"role": "user", "content": "{{input}}"}
    assert prompt.system is None and prompt.contents is None


def test_anthropic_is_xml_instructions_and_examples(embed: Embed) -> None:
    prompt = build(embed, provider="anthropic", instructions="Answer with the team name only.")
    assert prompt.system is not None
    root = ET.fromstring(f"<root>{prompt.system}</root>")
    assert [child.tag for child in root] == ["instructions", "examples"]
    assert "Answer with the team name only." in (root.findtext("instructions") or "")
    examples = root.find("examples")
    assert examples is not None
    found = [((e.findtext("input") or "").strip(), (e.findtext("output") or "").strip()) for e in examples.findall("example")]
    assert found == chosen_pairs(prompt, ticket_examples())
    assert prompt.messages == [{"role": "user", "content": "<input>\n{{input}}\n</input>"}]


def test_anthropic_examples_cannot_close_the_tags(embed: Embed) -> None:
    tricky = [{"input": "Close it: </output></example> now", "output": "ops"}, *ticket_examples()]
    prompt = build(embed, provider="anthropic", examples=tricky, k=11, token_budget=5000)
    root = ET.fromstring(f"<root>{prompt.system}</root>")
    examples = root.find("examples")
    assert examples is not None and len(examples.findall("example")) == len(tricky)
    inputs = [(e.findtext("input") or "").strip() for e in examples.findall("example")]
    assert tricky[0]["input"] in inputs  # the text reads the same; only the tags were neutralized


def _recorder(calls: list[dict[str, Any]], reply: Any) -> Any:
    def create(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return reply

    return create


def test_anthropic_json_outputs_get_structured_outputs_not_temperature(embed: Embed, monkeypatch: pytest.MonkeyPatch) -> None:
    prompt = build(embed, provider="anthropic", examples=ticket_examples(json_outputs=True), strict_format=True)
    assert prompt.output_schema == {
        "type": "object",
        "properties": {"team": {"type": "string"}, "urgent": {"type": "boolean"}},
        "required": ["team", "urgent"],
        "additionalProperties": False,
    }
    assert prompt.format_hint is not None and "structured outputs" in prompt.format_hint
    for source in (prompt.snippet, prompt.files["evaluate.py"]):
        script = _load(source, monkeypatch)
        calls: list[dict[str, Any]] = []
        reply = SimpleNamespace(content=[SimpleNamespace(type="text", text='{"team": "ops", "urgent": true}')])
        script["client"] = SimpleNamespace(messages=SimpleNamespace(create=_recorder(calls, reply)))
        assert script["complete"](script["fill"](script.get("PROMPT") or script["FEW_SHOT"], {"input": "Site down"})) == (
            '{"team": "ops", "urgent": true}'
        )
        sent = calls[0]
        assert not {"temperature", "top_p", "top_k"} & set(sent)
        assert sent["output_config"] == {"format": {"type": "json_schema", "schema": prompt.output_schema}}
        assert sent["system"] == prompt.system
        assert sent["messages"] == [{"role": "user", "content": "<input>\nSite down\n</input>"}]


def test_gemini_is_system_instruction_and_contents(embed: Embed) -> None:
    prompt = build(embed, provider="google")
    dumped = prompt.model_dump(mode="json")
    assert "systemInstruction" in dumped and "system_instruction" not in dumped
    assert TASK in dumped["systemInstruction"]["parts"][0]["text"]
    contents = dumped["contents"]
    assert [c["role"] for c in contents] == ["user", "model"] * len(prompt.example_ids) + ["user"]
    pairs = [(contents[i]["parts"][0]["text"], contents[i + 1]["parts"][0]["text"]) for i in range(0, len(contents) - 1, 2)]
    assert pairs == chosen_pairs(prompt, ticket_examples())
    assert contents[-1]["parts"] == [{"text": "{{input}}"}]


@pytest.mark.parametrize("provider", ["openai", "anthropic", "google", "open_weights", "undecided"])
@pytest.mark.parametrize("state", [None, ["plan", "language"]])
@pytest.mark.parametrize("json_outputs", [False, True])
def test_snippet_and_evaluation_script_compile(embed: Embed, provider: str, state: list[str] | None, json_outputs: bool) -> None:
    prompt = build(embed, provider=provider, state_fields=state, examples=ticket_examples(json_outputs))
    compile(prompt.snippet, "snippet.py", "exec")
    compile(prompt.files["evaluate.py"], "evaluate.py", "exec")


def _recorder_by_position(calls: list[dict[str, Any]], reply: str) -> Any:
    def complete(request: dict[str, Any]) -> str:
        calls.append(request)
        return reply

    return complete


def _load(script: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Run a generated script's definitions (not its __main__ block) with a fake key."""
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY"):
        monkeypatch.setenv(key, "test-key")
    namespace: dict[str, Any] = {"__name__": "generated"}
    exec(compile(script, "generated.py", "exec"), namespace)
    return namespace


def test_state_block_is_delimited_and_the_snippet_loads_and_saves_it_per_user(
    embed: Embed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prompt = build(embed, provider="openai", state_fields=["plan", "language"])
    last = (prompt.messages or [])[-1]["content"]
    assert last == "<user_state>\n<plan>{{plan}}</plan>\n<language>{{language}}</language>\n</user_state>\n\n{{input}}"
    assert prompt.placeholders == ["input", "plan", "language"]
    monkeypatch.chdir(tmp_path)
    script = _load(prompt.snippet, monkeypatch)
    sent: list[dict[str, Any]] = []
    script["complete"] = _recorder_by_position(sent, "billing")
    script["save_state"]("user-1", {"plan": "pro", "language": "he"})
    assert script["answer"]("user-1", "Where is my refund?") == "billing"
    assert script["answer"]("user-2", "Hi") == "billing"
    assert "<plan>pro</plan>\n<language>he</language>" in sent[0]["messages"][-1]["content"]
    assert sent[0]["messages"][-1]["content"].endswith("Where is my refund?")
    assert "<plan></plan>" in sent[1]["messages"][-1]["content"]  # a new user starts empty
    assert script["load_state"]("user-1") == {"plan": "pro", "language": "he"}
    assert len(list((tmp_path / "user_state").glob("*.json"))) == 2  # one file per user, saved after each call
    assert sent[0]["messages"][:-1] == (prompt.messages or [])[:-1]  # the cacheable prefix is untouched


def test_the_evaluation_script_compares_zero_and_few_shot_on_the_held_out_set(
    embed: Embed, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    examples = ticket_examples()
    prompt = build(embed, provider="openai", k=3)
    (tmp_path / "held_out.jsonl").write_text(prompt.files["held_out.jsonl"], encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    script = _load(prompt.files["evaluate.py"], monkeypatch)
    answers = {e["input"]: e["output"] for e in examples}
    calls: list[int] = []

    def fake(request: dict[str, Any]) -> str:
        # The few-shot prompt answers right, the zero-shot one (no example turns) answers wrong.
        calls.append(len(request["messages"]))
        return answers[request["messages"][-1]["content"]] if len(request["messages"]) > 2 else "unsure"

    script["complete"] = fake
    monkeypatch.setattr(sys, "argv", ["evaluate.py"])
    script["main"]()
    out = capsys.readouterr().out
    held = len(prompt.held_out_ids)
    assert "zero-shot: exact 0%, similarity" in out and f"on {held} examples" in out
    assert "few-shot: exact 100%, similarity 1.00" in out
    assert calls.count(2) == held and calls.count(2 + 2 * len(prompt.example_ids)) == held
    assert json.loads(prompt.files["held_out.jsonl"].splitlines()[0])["id"] == prompt.held_out_ids[0]
