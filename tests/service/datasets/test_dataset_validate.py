"""validate_file: every finding code at a known line, clean files, encodings, CSV, stats and cost."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
import tiktoken

from knowledge.loader import default_catalog
from rules.economics import default_epochs
from service.datasets import reader
from service.datasets import validate as validate_module
from service.datasets.validate import validate_file
from service.errors import ValidationFailed
from tests.service.datasets.helpers import FIXTURES, chat, clean_lines

Writer = Callable[..., Path]
NOT_IN_A_CLEAN_FILE = {"personal_data", "short_answer", "blank_line", "duplicate_example", "mixed_formats"}


def codes_at(report, line: int | None) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.code for f in report.findings if f.line == line}


def with_defect(defect: str, at: int = 5) -> list[str]:
    lines = clean_lines(12)
    lines.insert(at - 1, defect)
    return lines


USER = {"role": "user", "content": "Where is my order?"}
ANSWER = {"role": "assistant", "content": "It ships tomorrow."}
LINE_DEFECTS = [
    ("invalid_json", '{"messages": [', None),
    ("invalid_json", '{"messages": []} trailing', None),
    ("not_an_object", "[1, 2, 3]", None),
    ("not_an_object", json.dumps({"messages": ["hi", ANSWER]}), None),
    ("missing_messages", json.dumps({"txt": "hello"}), None),
    ("missing_messages", json.dumps({"messages": []}), None),
    ("missing_messages", json.dumps({"messages": "hi"}), None),
    ("missing_messages", json.dumps({"contents": None}), None),
    ("unrecognized_role", json.dumps({"messages": [{"role": "human", "content": "hi"}, ANSWER]}), None),
    ("unrecognized_role", json.dumps({"messages": [{"content": "no role"}, ANSWER]}), None),
    ("missing_assistant_message", json.dumps({"messages": [USER]}), None),
    ("missing_assistant_message", json.dumps({"input_text": "Where is my order?"}), None),
    ("empty_content", json.dumps({"messages": [{"role": "user", "content": "  "}, ANSWER]}), None),
    ("empty_content", json.dumps({"messages": [USER, {"role": "assistant"}]}), None),
    ("empty_content", json.dumps({"input_text": "Where?", "output_text": ""}), "instruction"),
    ("message_unrecognized_key", json.dumps({"messages": [{**USER, "mood": "angry"}, ANSWER]}), None),
    ("invalid_weight", json.dumps({"messages": [USER, {**ANSWER, "weight": 2}]}), None),
    ("content_not_text", json.dumps({"messages": [{"role": "user", "content": 42}, ANSWER]}), None),
]


@pytest.mark.parametrize(("code", "defect", "_note"), LINE_DEFECTS, ids=[f"{c}-{i}" for i, (c, _, _) in enumerate(LINE_DEFECTS)])
def test_each_defect_is_reported_at_its_line(code: str, defect: str, _note: str | None, write_jsonl: Writer) -> None:
    report = validate_file(write_jsonl(with_defect(defect, at=5)))
    assert code in codes_at(report, 5)
    assert all(f.line == 5 for f in report.findings if f.severity == "error")
    assert report.examples == 12 and not report.ok


def test_encoding_error_line(tmp_path: Path) -> None:
    lines = [line.encode() for line in clean_lines(12)]
    lines.insert(6, b'{"messages": [{"role": "user", "content": "caf\xe9"}]}')
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    report = validate_file(path)
    assert [(f.code, f.line) for f in report.findings if f.severity == "error"] == [("encoding_error", 7)]
    assert report.examples == 12


def test_duplicate_names_the_first_copy(write_jsonl: Writer) -> None:
    lines = clean_lines(12)
    lines.insert(8, lines[2])  # line 9 repeats line 3
    report = validate_file(write_jsonl(lines))
    [dup] = [f for f in report.findings if f.code == "duplicate_example"]
    assert dup.line == 9 and "line 3" in dup.message and dup.severity == "error"
    assert report.examples == 12


def test_duplicate_ignores_key_order_and_whitespace(write_jsonl: Writer) -> None:
    first = json.dumps(chat("Same?", "Same answer."))
    reordered = json.dumps(
        {"messages": [{"content": m["content"], "role": m["role"]} for m in json.loads(first)["messages"]]},
        indent=None,
        separators=(",", ":"),
    )
    report = validate_file(write_jsonl([*clean_lines(11), first, reordered]))
    assert codes_at(report, 13) == {"duplicate_example"}


def test_example_too_long(write_jsonl: Writer) -> None:
    long_line = json.dumps(chat("Summarize:" + " bike" * 17_000, "A bike."))
    report = validate_file(write_jsonl(with_defect(long_line, at=4)), model="gpt-3.5-turbo")  # 16,385 per example
    [finding] = [f for f in report.findings if f.code == "example_too_long"]
    assert finding.line == 4 and "16385" in finding.message
    assert report.examples == 12 and report.tokens.max < 100


def test_oversized_line_is_drained_and_numbering_continues(write_jsonl: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader, "MAX_LINE_BYTES", 2_000)
    report = validate_file(write_jsonl([*with_defect(json.dumps(chat("x" * 10_000, "long")), at=3), "[1]"]))
    assert codes_at(report, 3) == {"example_too_long"}
    assert codes_at(report, 14) == {"not_an_object"}
    assert report.examples == 12 and report.lines == 14


def test_too_few_examples_is_a_file_finding(write_jsonl: Writer) -> None:
    report = validate_file(write_jsonl(clean_lines(9)))
    assert [(f.code, f.severity) for f in report.findings if f.line is None and f.code == "too_few_examples"] == [
        ("too_few_examples", "error")
    ]
    assert not report.ok
    assert validate_file(write_jsonl(clean_lines(10))).ok


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    report = validate_file(path, provider="google")
    assert (report.lines, report.examples, report.format, report.ok) == (0, 0, None, False)
    assert "too_few_examples" in codes_at(report, None)


def test_mixed_formats_flags_the_minority(write_jsonl: Writer) -> None:
    gemini = json.dumps(
        {"contents": [{"role": "user", "parts": [{"text": "Hi"}]}, {"role": "model", "parts": [{"text": "Hello!"}]}]}
    )
    report = validate_file(write_jsonl(with_defect(gemini, at=6)))
    assert report.format == "openai_chat"
    assert [(f.code, f.line) for f in report.findings if f.severity == "error"] == [("mixed_formats", 6)]
    assert report.examples == 12


def test_clean_fixture_has_no_errors_and_no_noise() -> None:
    report = validate_file(FIXTURES / "clean_chat.jsonl")
    assert report.ok and report.format == "openai_chat" and report.examples == 12 and report.lines == 12
    assert [f for f in report.findings if f.severity == "error"] == []
    assert not {f.code for f in report.findings} & NOT_IN_A_CLEAN_FILE
    assert all(f.line is None for f in report.findings)  # only file-level notes (e.g. < 100 examples)
    assert "few_examples_for_quality" in codes_at(report, None)


def test_bom_and_crlf_change_nothing_but_the_hash(tmp_path: Path) -> None:
    plain = (FIXTURES / "clean_chat.jsonl").read_bytes()
    windows = tmp_path / "windows.jsonl"
    windows.write_bytes(b"\xef\xbb\xbf" + plain.replace(b"\n", b"\r\n"))
    a, b = validate_file(FIXTURES / "clean_chat.jsonl"), validate_file(windows)
    assert b.ok and b.examples == a.examples and b.tokens == a.tokens and b.findings == a.findings
    assert b.sha256 == hashlib.sha256(windows.read_bytes()).hexdigest() != a.sha256


@pytest.mark.parametrize("header", ["input_text,output_text", "prompt,completion", "\ufeffprompt,completion"])
def test_csv_headers(header: str, tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    rows = "".join(f'"Question {i}, please?","Answer {i}, gladly."\r\n' for i in range(11))
    path.write_text(f'{header}\r\n{rows}"Multi\nline?","Yes,\nit works."\r\n', encoding="utf-8")
    report = validate_file(path)
    assert (report.file_type, report.format, report.examples, report.lines, report.ok) == (
        "csv",
        "instruction",
        12,
        15,
        True,
    )  # the last row spans 3 lines
    assert "format_needs_conversion" in codes_at(report, None)  # OpenAI wants chat messages


def test_csv_fixture_and_row_defects(tmp_path: Path) -> None:
    assert validate_file(FIXTURES / "clean_prompt_completion.csv", provider="open_weights").ok
    path = tmp_path / "bad.csv"
    good = "".join(f"q{i} here,a{i} here\n" for i in range(10))
    path.write_text(f"prompt,completion\n{good}only a prompt\n\n,blank prompt\n", encoding="utf-8")
    report = validate_file(path, provider="open_weights")
    assert codes_at(report, 12) == {"missing_assistant_message"}
    assert codes_at(report, 13) == {"blank_line"}
    assert codes_at(report, 14) == {"empty_content"}
    assert report.examples == 10


def test_csv_with_unknown_header(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("question,answer\nq,a\n", encoding="utf-8")
    report = validate_file(path)
    assert codes_at(report, 1) == {"invalid_csv"} and not report.ok


def test_warnings_at_their_lines(write_jsonl: Writer) -> None:
    lines = clean_lines(12)
    lines[1] = json.dumps(chat("Write to me at dana.levi@gmail.com", "I will."))
    lines[3] = json.dumps(chat("My number is +1 415-867-2291, call me", "Calling you now."))
    lines[5] = json.dumps(chat("Docs use jane@example.com as a sample", "Right, that is reserved."))
    lines[7] = json.dumps(chat("Is it in stock?", "No"))
    lines.insert(9, "")
    report = validate_file(write_jsonl(lines))
    assert report.ok
    personal = {f.line: f for f in report.findings if f.code == "personal_data"}
    assert set(personal) == {2, 4}
    assert "email" in personal[2].message and "phone" in personal[4].message
    assert "dana.levi" not in personal[2].message  # the report must not spread the data it warns about
    assert codes_at(report, 8) == {"short_answer"}
    assert codes_at(report, 10) == {"blank_line"}
    assert all(f.severity == "warning" for f in report.findings)


def test_tool_calls_without_content_are_valid(write_jsonl: Writer) -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "track", "arguments": '{"order": "A1"}'}}
    example = {
        "messages": [
            USER,
            {"role": "assistant", "tool_calls": [call]},
            {"role": "tool", "tool_call_id": "c1", "content": "in transit"},
            ANSWER,
        ]
    }
    report = validate_file(write_jsonl(with_defect(json.dumps(example), at=2)))
    assert report.ok and report.examples == 13


@pytest.mark.parametrize(
    ("n", "epochs"),
    [(1, 25), (4, 25), (5, 20), (33, 3), (34, 3), (8333, 3), (8334, 2), (12_500, 2), (12_501, 1), (100_000, 1)],
)
def test_epochs_heuristic_boundaries(n: int, epochs: int) -> None:
    assert default_epochs(n) == epochs


def test_token_stats_and_cost(write_jsonl: Writer) -> None:
    enc = tiktoken.get_encoding("o200k_base")
    answers = ["Yes it is."] * 10 + ["A much longer answer about frames, wheels and brakes, with details."] * 2
    lines = [json.dumps(chat(f"Q{i}?", a)) for i, a in enumerate(answers)]
    report = validate_file(write_jsonl(lines), model="gpt-4.1")
    counts = sorted(3 + (3 + 1 + len(enc.encode(f"Q{i}?"))) + (3 + 1 + len(enc.encode(a))) for i, a in enumerate(answers))
    stats = report.tokens
    assert (stats.exact, stats.tokenizer, stats.min, stats.max, stats.total) == (
        True,
        "o200k_base",
        counts[0],
        counts[-1],
        sum(counts),
    )
    assert stats.median == counts[5] and stats.p95 == counts[-1]
    price = default_catalog().provider("openai").model("gpt-4.1").tuned_price.training_per_mtok  # type: ignore[union-attr]
    assert report.epochs == 8  # 100 // 12
    assert report.estimated_cost_usd == pytest.approx(price * sum(counts) * 8 / 1e6, abs=1e-4)


def test_google_file_is_estimated_and_clean() -> None:
    report = validate_file(FIXTURES / "clean_gemini.jsonl", provider="google")
    assert report.ok and report.format == "gemini_contents"
    # The default is a model one can still tune today (the catalog's lifecycle), never a retired one.
    entry = default_catalog().provider("google").model(report.model)
    assert entry is not None and entry.tunable_on(dt.date.today())
    assert report.tokens.exact is False and report.tokens.total > 0
    # A cost only where the catalog has the tuned model's training price.
    assert (report.estimated_cost_usd is None) == (entry.tuned_price is None)


def test_anthropic_is_checked_but_warned(write_jsonl: Writer) -> None:
    report = validate_file(write_jsonl(clean_lines(3)), provider="anthropic")
    assert report.ok and report.estimated_cost_usd is None
    [warning] = [f for f in report.findings if f.code == "cannot_fine_tune"]
    assert warning.line is None and warning.severity == "warning" and "cannot be fine-tuned" in warning.message


def test_unknown_provider_is_a_validation_error(write_jsonl: Writer) -> None:
    with pytest.raises(ValidationFailed) as error:
        validate_file(write_jsonl(clean_lines(1)), provider="cohere")
    assert error.value.field == "provider"


def test_findings_are_capped_but_counted(write_jsonl: Writer) -> None:
    report = validate_file(write_jsonl(clean_lines(12) + ["nope"] * 250))
    assert report.finding_counts["invalid_json"] == 250 and report.findings_truncated
    assert sum(f.code == "invalid_json" for f in report.findings) == validate_module.MAX_LISTED


def test_binary_stream_and_progress() -> None:
    data = (FIXTURES / "clean_chat.jsonl").read_bytes()
    seen: list[int] = []
    report = validate_file(io.BytesIO(data), progress=seen.append)
    assert report.ok and report.sha256 == hashlib.sha256(data).hexdigest()
    assert seen and seen[-1] == len(data) and seen == sorted(seen)


def test_csv_line_numbers_after_a_multiline_field(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    good = "".join(f"q{i} here,a{i} here\n" for i in range(10))
    path.write_text(f'prompt,completion\n"Two\nlines",answer here\n{good}caf\xe9,x\nlast,\n', encoding="latin-1")
    report = validate_file(path)
    assert codes_at(report, 14) == {"encoding_error"}  # header 1, multi-line row 2-3, ten rows 4-13
    assert codes_at(report, 15) == {"empty_content"}
    assert report.examples == 11
