"""Arbitrary bytes never crash validation or conversion: they only produce findings."""

from __future__ import annotations

import io
import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.datasets.convert import convert_file, iter_examples
from service.datasets.validate import validate_file

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "messages",
                    "role",
                    "content",
                    "contents",
                    "parts",
                    "text",
                    "author",
                    "weight",
                    "tool_calls",
                    "name",
                    "input_text",
                    "output_text",
                    "prompt",
                    "completion",
                    "system",
                    "systemInstruction",
                    "context",
                    "user",
                    "model",
                    "assistant",
                ]
            )
            | st.text(max_size=5),
            children,
            max_size=5,
        )
    ),
    max_leaves=25,
)
roles = st.sampled_from(["user", "assistant", "system", "tool", "model", "bot", ""]) | json_values
chat_like = st.builds(
    lambda turns, extra: json.dumps({"messages": [{"role": r, "content": c} for r, c in turns], **extra}),
    st.lists(st.tuples(roles, st.text(max_size=30) | json_values), max_size=5),
    st.dictionaries(st.sampled_from(["system", "weight", "contents"]), st.text(max_size=5), max_size=1),
)
wrapped = st.builds(
    lambda key, items: json.dumps({key: items}),
    st.sampled_from(["messages", "contents", "input_text", "prompt"]),
    st.lists(st.dictionaries(st.sampled_from(["role", "author", "content", "parts", "text", "weight"]), json_values), max_size=4),
)
line = st.one_of(
    wrapped.map(str.encode), st.binary(max_size=60), json_values.map(json.dumps).map(str.encode), chat_like.map(str.encode)
)
eol = st.sampled_from([b"\n", b"\r\n"])


def _check(data: bytes) -> None:
    report = validate_file(io.BytesIO(data), provider="google")
    assert report.lines == data.count(b"\n") + (1 if data and not data.endswith(b"\n") else 0)
    assert report.ok == (not any(f.severity == "error" for f in report.findings))
    assert all(f.line is None or 1 <= f.line <= report.lines for f in report.findings)
    list(iter_examples(io.BytesIO(data)))


@FAST
@given(st.binary(max_size=400))
def test_random_bytes(data: bytes) -> None:
    _check(data)


@FAST
@given(st.lists(st.tuples(line, eol), max_size=12), st.booleans())
def test_random_lines(lines: list[tuple[bytes, bytes]], bom: bool) -> None:
    _check((b"\xef\xbb\xbf" if bom else b"") + b"".join(body + end for body, end in lines))


@FAST
@given(st.sampled_from([b"prompt,completion\n", b"input_text,output_text\r\n"]), st.binary(max_size=300))
def test_random_csv_bodies(header: bytes, body: bytes) -> None:
    report = validate_file(io.BytesIO(header + body))
    assert report.file_type == "csv"
    list(iter_examples(io.BytesIO(header + body)))


@FAST
@given(st.lists(chat_like, max_size=8))
def test_convert_never_crashes(tmp_path: Path, lines: list[str]) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines), encoding="utf-8", errors="surrogatepass")
    result = convert_file(source, "anthropic_bedrock", tmp_path / "out")
    assert result.train + result.validation + result.dropped + result.duplicates == len([x for x in lines if x.strip()])


def test_pathological_lines_become_findings() -> None:
    lines = [
        b"[" * 100_000,  # deeper than the JSON parser's recursion limit
        b'{"messages": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b'{"input_text": 1' + b"0" * 5_000 + b', "output_text": "x"}',  # beyond int digit limits
        b'{"messages": [{"role": "user", "content": "\\ud800 <|endoftext|>"}, {"role": "assistant", "content": "\\udfff ok"}]}',
        b'{"contents": [{"role": "user", "parts": {"text": "not a list"}}]}',
        b"\x00\xff\xfe",
    ]
    report = validate_file(io.BytesIO(b"\n".join(lines)))
    assert [(f.code, f.line) for f in report.findings if f.severity == "error" and f.line] == [
        ("invalid_json", 1),
        ("invalid_json", 2),
        ("invalid_json", 3),
        ("empty_content", 5),
        ("missing_assistant_message", 5),
        ("mixed_formats", 5),
        ("encoding_error", 6),
    ]
    assert report.examples == 1
