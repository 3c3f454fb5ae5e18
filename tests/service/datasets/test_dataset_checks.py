"""Tool use, turn order, unreadable files, JSON error wording, personal-data placeholders and the human report."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from service.datasets import personal
from service.datasets.cli import data_app
from service.datasets.convert import convert_file
from service.datasets.validate import validate_file
from tests.service.datasets.helpers import clean_lines

Writer = Callable[..., Path]
USER = {"role": "user", "content": "Track order A1"}
TOOLS = [{"type": "function", "function": {"name": "track", "description": "Track an order.", "parameters": {"type": "object"}}}]


def assistant_call(arguments: Any, name: str = "track", call_id: str = "c1") -> dict[str, Any]:
    return {
        "role": "assistant",
        "tool_calls": [{"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}],
    }


def tool_line(*messages: dict[str, Any], tools: list[Any] | None = TOOLS) -> str:
    body: dict[str, Any] = {"messages": [USER, *messages]}
    if tools is not None:
        body["tools"] = tools
    return json.dumps(body)


def codes_at(path: Path, line: int, provider: str = "openai") -> set[str]:
    return {f.code for f in validate_file(path, provider=provider).findings if f.line == line}


RESULT = {"role": "tool", "tool_call_id": "c1", "content": "in transit"}
ANSWER = {"role": "assistant", "content": "It is in transit."}
TOOL_DEFECTS = [
    ("tool_arguments_invalid", tool_line(assistant_call("{order: A1}"))),
    ("tool_arguments_invalid", tool_line(assistant_call(json.dumps(json.dumps({"order": "A1"}))))),
    ("tool_arguments_invalid", tool_line(assistant_call("[1, 2]"))),
    ("tool_not_declared", tool_line(assistant_call('{"order": "A1"}', name="cancel"))),
    ("tool_call_unanswered", tool_line(assistant_call("{}"), {"role": "user", "content": "Well?"}, ANSWER)),
    ("tool_result_orphan", tool_line({**RESULT, "tool_call_id": "nope"}, ANSWER)),
]


@pytest.mark.parametrize(("code", "line"), TOOL_DEFECTS, ids=[f"{c}-{i}" for i, (c, _) in enumerate(TOOL_DEFECTS)])
def test_tool_defects_at_their_line_for_every_provider(code: str, line: str, write_jsonl: Writer) -> None:
    path = write_jsonl([*clean_lines(11), line])
    for provider in ("openai", "google", "open_weights"):
        assert code in codes_at(path, 12, provider), provider


def test_a_full_tool_round_trip_is_clean_and_a_final_call_needs_no_answer(write_jsonl: Writer) -> None:
    path = write_jsonl(
        [*clean_lines(10), tool_line(assistant_call('{"order": "A1"}'), RESULT, ANSWER), tool_line(assistant_call("{}"))]
    )
    report = validate_file(path)
    assert report.ok and report.examples == 12
    bare = write_jsonl([*clean_lines(10), tool_line(assistant_call("{}"), tools=None)])
    assert codes_at(bare, 11) == {"tools_not_listed"}


def test_assistant_first_is_a_warning_for_openai_and_an_error_for_gemini(write_jsonl: Writer, tmp_path: Path) -> None:
    line = json.dumps(
        {"messages": [{"role": "system", "content": "Be brief."}, {"role": "assistant", "content": "Hello there."}]}
    )
    path = write_jsonl([*clean_lines(10), line])
    [warning] = [f for f in validate_file(path).findings if f.line == 11]
    assert (warning.code, warning.severity) == ("no_user_turn", "warning")
    google = validate_file(path, provider="google")
    [error] = [f for f in google.findings if f.line == 11 and f.code != "mixed_formats"]
    assert (error.code, error.severity) == ("turn_order", "error")
    result = convert_file(path, "gemini_contents", tmp_path, validation_fraction=0)
    assert result.train == 10 and [(f.code, f.line) for f in result.findings] == [("turn_order", 11)]
    assert all(json.loads(x)["contents"][0]["role"] == "user" for x in result.train_path.read_text().splitlines())


def test_binary_file_is_one_finding(tmp_path: Path) -> None:
    path = tmp_path / "train.jsonl"
    path.write_bytes(b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)) * 40 + b"\n" * 20)
    report = validate_file(path)
    errors = [f for f in report.findings if f.severity == "error"]
    assert [(f.code, f.line) for f in errors if f.code != "too_few_examples"] == [("not_text", None)]
    assert report.lines == path.read_bytes().count(b"\n")
    utf16 = tmp_path / "utf16.jsonl"
    utf16.write_text("\n".join(clean_lines(12)), encoding="utf-16")
    [finding] = [f for f in validate_file(utf16).findings if f.code == "not_text"]
    assert "UTF-16" in finding.message


def test_wrong_encoding_file_is_one_finding(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    lines = [
        json.dumps({"input_text": f"Caf\u00e9 n\u00ba {i}?", "output_text": "Oui, s\u00fbr."}, ensure_ascii=False)
        for i in range(12)
    ]
    path.write_text("\n".join(lines), encoding="latin-1")
    report = validate_file(path, provider="open_weights")
    assert [(f.code, f.line) for f in report.findings if f.code == "encoding_error"] == [("encoding_error", None)]
    assert report.finding_counts["encoding_error"] == 1 and "12 of 12" in report.findings[0].message


def test_json_error_names_the_character_not_a_second_line_number(write_jsonl: Writer) -> None:
    report = validate_file(write_jsonl([*clean_lines(12), '{"messages": [{"role": "user"} {"role": "assistant"}]}']))
    [finding] = [f for f in report.findings if f.code == "invalid_json"]
    assert finding.line == 13 and "Expecting ',' delimiter at character 32" in finding.message
    assert "line 1" not in finding.message and "column" not in finding.message


# A labelled sample: texts that hold real-looking contact data (True) and documentation stand-ins (False).
LABELLED = [
    ("Mail me at dana.levi@gmail.com", True),
    ("Contact: j.smith@acme-logistics.co.uk", True),
    ("Ping r.cohen@weizmann.ac.il about the grant", True),
    ("Call +1 415-867-2291 after five", True),
    ("Our office: (212) 736-3100", True),
    ("Reach me on +44 20 7946 1234", True),
    ("Phone 03-6408-7712 (Tel Aviv)", True),
    ("Text 780-800-7092 for service", True),
    ("Write to alice@email.com", False),
    ("Use jane@example.com as a sample", False),
    ("Send it to yourname@yourdomain.com", False),
    ("boss@company.com is the recipient", False),
    ("Call (555) 123-4567 for a demo", False),
    ("Dial 555-0134 in the movie", False),
    ("Support: +1 212-555-0199", False),
    ("Fill in 123-456-7890 as the phone", False),
    ("Phone: 000-000-0000", False),
    ("admin@server.test is a test address", False),
    ("user@host.example", False),
    ("Order 2024-1234-5678 shipped", False),
]


def test_personal_data_precision_and_recall_on_a_labelled_sample() -> None:
    flagged = [bool(personal.kinds(text)) for text, _ in LABELLED]
    truth = [label for _, label in LABELLED]
    true_positives = sum(f and t for f, t in zip(flagged, truth, strict=True))
    precision = true_positives / max(1, sum(flagged))
    recall = true_positives / sum(truth)
    assert precision == 1.0 and recall >= 0.85, (precision, recall)


def test_human_report_plurals_and_estimate_label(write_jsonl: Writer) -> None:
    runner = CliRunner()
    one = runner.invoke(data_app, ["check", str(write_jsonl([*clean_lines(12), "{oops"]))])
    assert "NOT OK: 1 error, " in one.stdout and "1 errors" not in one.stdout
    gemini = write_jsonl(
        [
            json.dumps(
                {"contents": [{"role": "user", "parts": [{"text": f"Q{i}?"}]}, {"role": "model", "parts": [{"text": "A."}]}]}
            )
            for i in range(3)
        ]
    )
    out = runner.invoke(data_app, ["check", str(gemini), "--provider", "google"]).stdout
    assert "(o200k_base, estimate)" in out and "(estimate), estimate" not in out
    assert 'recognized by: "contents"' in out and "3 valid examples in 3 lines" in out
