"""Real public training files (tests/fixtures, see SOURCES.md): what check finds and what convert keeps."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from service.datasets.convert import convert_file
from service.datasets.schemas import DatasetReport
from service.datasets.validate import validate_file

REAL = Path(__file__).parents[2] / "fixtures"
PROVIDERS = ["openai", "google", "anthropic", "open_weights"]
FILES = sorted(p.name for p in REAL.iterdir() if p.suffix in (".json", ".jsonl"))


def error_lines(report: DatasetReport) -> set[int]:
    return {f.line for f in report.findings if f.severity == "error" and f.line is not None}


def records(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_drone_tool_calls_are_checked_counted_and_kept(tmp_path: Path) -> None:
    report = validate_file(REAL / "openai_drone_tools.jsonl", provider="openai")
    assert report.format == "openai_chat" and report.target_format == "openai_chat"
    bad = {(f.line, f.code) for f in report.findings if f.severity == "error" and f.line}
    assert bad == {(n, "tool_arguments_invalid") for n in range(3, 9)}  # the cookbook's double-encoded land_drone calls
    assert all("double-encoded" in f.message for f in report.findings if f.code == "tool_arguments_invalid")
    assert report.examples == 5
    tokens = report.tokens
    assert tokens.tool_definition_tokens > 0.8 * tokens.total  # 16 functions on every line dwarf a one-line request
    assert tokens.min > 700 and not tokens.exact and any("cookbook" in p for p in tokens.estimated_parts)
    result = convert_file(REAL / "openai_drone_tools.jsonl", "openai_chat", tmp_path / "o", validation_fraction=0)
    assert (result.train, result.dropped) == (5, 6)
    assert {f.line for f in result.findings} == set(range(3, 9))
    first = records(result.train_path)[0]
    assert len(first["tools"]) == 16  # type: ignore[arg-type]
    call = first["messages"][-1]["tool_calls"][0]["function"]  # type: ignore[index]
    assert isinstance(call["arguments"], str) and isinstance(json.loads(call["arguments"]), dict)


def test_drone_converts_to_gemini_and_trl_with_tools(tmp_path: Path) -> None:
    gemini = convert_file(REAL / "openai_drone_tools.jsonl", "gemini_contents", tmp_path / "g", validation_fraction=0)
    line = records(gemini.train_path)[0]
    assert [c["role"] for c in line["contents"]] == ["user", "model"]  # type: ignore[union-attr, index]
    assert "functionCall" in line["contents"][1]["parts"][0]  # type: ignore[index]
    assert len(line["tools"][0]["functionDeclarations"]) == 16  # type: ignore[index]
    assert validate_file(gemini.train_path, provider="google").finding_counts.keys() <= {"few_examples_for_quality"}
    trl = convert_file(REAL / "openai_drone_tools.jsonl", "trl_messages", tmp_path / "t", validation_fraction=0)
    call = records(trl.train_path)[0]["messages"][-1]["tool_calls"][0]["function"]  # type: ignore[index]
    assert isinstance(call["arguments"], dict)


def test_alpaca_json_array_is_streamed_and_accepted_for_open_weights(tmp_path: Path) -> None:
    report = validate_file(REAL / "alpaca_identity.json", provider="open_weights")
    assert (report.format, report.target_format, report.examples, report.records, report.ok) == ("alpaca", "alpaca", 16, 16, True)
    assert "instruction" in (report.format_reason or "")
    [note] = [f for f in report.findings if f.code == "json_array"]
    assert note.line is None and note.severity == "warning"
    result = convert_file(REAL / "alpaca_identity.json", "openai_chat", tmp_path, validation_fraction=0)
    assert result.train == 16
    assert records(result.train_path)[0] == {
        "messages": [
            {"role": "user", "content": "hi"},
            {
                "role": "assistant",
                "content": "Hello! I am NAME, an AI assistant developed by AUTHOR. How can I assist you today?",
            },
        ]
    }


def test_json_array_defect_has_the_element_line(tmp_path: Path) -> None:
    items = json.loads((REAL / "alpaca_identity.json").read_text())
    items[3] = {"instruction": "What is your name?", "input": ""}  # no output
    path = tmp_path / "data.json"
    path.write_text(json.dumps(items, indent=2))
    report = validate_file(path, provider="open_weights")
    line = 1 + 5 * 3 + 1  # "[" then three 5-line elements, then this element's "{"
    assert {(f.code, f.line) for f in report.findings if f.severity == "error"} == {("missing_assistant_message", line)}
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(items[:3], indent=2).replace('"input": ""', '"input": "" "x"', 1))
    errors = [f for f in validate_file(broken, provider="open_weights").findings if f.code == "invalid_json"]
    assert len(errors) == 1 and errors[0].line == 4  # one finding where the element breaks, not one per line


def test_sharegpt_tool_calls_convert_to_openai_and_back(tmp_path: Path) -> None:
    report = validate_file(REAL / "sharegpt_glaive_toolcall.json", provider="open_weights")
    assert (report.format, report.target_format, report.examples, report.ok) == ("sharegpt", "sharegpt", 2, True)
    chat = convert_file(REAL / "sharegpt_glaive_toolcall.json", "openai_chat", tmp_path / "o", validation_fraction=0)
    tool_line = next(r for r in records(chat.train_path) if r.get("tools"))
    roles = [m["role"] for m in tool_line["messages"]]  # type: ignore[union-attr]
    assert roles[:4] == ["user", "assistant", "tool", "assistant"]
    call, result = tool_line["messages"][1]["tool_calls"][0], tool_line["messages"][2]  # type: ignore[index]
    assert result["tool_call_id"] == call["id"] and json.loads(call["function"]["arguments"])["shape"] == "rectangle"
    assert error_lines(validate_file(chat.train_path, provider="openai")) == set()
    back = convert_file(chat.train_path, "sharegpt", tmp_path / "s", validation_fraction=0)
    originals = json.loads((REAL / "sharegpt_glaive_toolcall.json").read_text())
    assert sorted(json.dumps(r["conversations"]) for r in records(back.train_path)) == sorted(
        json.dumps(r["conversations"]) for r in originals
    )


def test_nova_content_blocks_are_text_not_errors(tmp_path: Path) -> None:
    report = validate_file(REAL / "nova_conversation.jsonl", provider="google")
    assert report.format == "nova_conversation" and report.examples == 6 and "content_not_text" not in report.finding_counts
    assert "boss@company.com" in (REAL / "nova_conversation.jsonl").read_text()
    assert "personal_data" not in report.finding_counts  # company.com is a stand-in domain
    there = convert_file(REAL / "nova_conversation.jsonl", "nova_conversation", tmp_path / "n", validation_fraction=0)
    assert records(there.train_path) == records(REAL / "nova_conversation.jsonl")


def test_gemini_file_data_is_media_the_target_must_hold(tmp_path: Path) -> None:
    report = validate_file(REAL / "gemini_filedata.jsonl", provider="google")
    assert report.ok and report.examples == 5
    assert (report.tokens.media_items, report.tokens.media_tokens) == (5, 5 * 258)  # 4 images and a PDF
    assert "empty_content" not in report.finding_counts
    for_openai = validate_file(REAL / "gemini_filedata.jsonl", provider="openai")
    assert {(f.line, f.code) for f in for_openai.findings if f.code == "unsupported_in_target"} == {
        (n, "unsupported_in_target") for n in (1, 2, 3, 4)
    }
    result = convert_file(REAL / "gemini_filedata.jsonl", "openai_chat", tmp_path, validation_fraction=0)
    assert result.train == 1 and {f.line for f in result.findings} == {1, 2, 3, 4}
    assert all("gs://" in f.message or "images only" in f.message for f in result.findings)


def test_trl_text_is_kept_for_open_weights_only() -> None:
    assert validate_file(REAL / "trl_text_c4.jsonl", provider="open_weights").target_format == "trl_text"
    assert validate_file(REAL / "trl_text_c4.jsonl", provider="open_weights").examples == 3
    openai = validate_file(REAL / "trl_text_c4.jsonl", provider="openai")
    assert openai.finding_counts["unsupported_in_target"] == 3 and openai.examples == 0


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("name", FILES)
def test_check_predicts_what_convert_keeps(name: str, provider: str, tmp_path: Path) -> None:
    report = validate_file(REAL / name, provider=provider)
    assert report.target_format is not None
    result = convert_file(REAL / name, report.target_format, tmp_path, validation_fraction=0)
    dropped = {f.line for f in result.findings}
    passed = set(range(1, report.lines + 1)) - error_lines(report)
    # every line check passes is written; lines check rejects only for being mixed or too long may still be written
    assert not (passed & dropped)
    assert result.train >= report.examples
