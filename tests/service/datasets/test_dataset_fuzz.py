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


# Lines that exercise tools, media, turn order and every input family, with and without defects.
_call = st.builds(
    lambda name, args, cid: {"id": cid, "type": "function", "function": {"name": name, "arguments": args}},
    st.sampled_from(["track", "cancel", "refund"]),
    st.sampled_from(['{"order": "A1"}', "{}", '"{\\"a\\": 1}"', "nope", '{"n": 2}']),
    st.sampled_from(["c1", "c2"]),
)
_message = st.one_of(
    st.builds(lambda r, c: {"role": r, "content": c}, st.sampled_from(["system", "user", "assistant"]), st.text(max_size=12)),
    st.builds(lambda calls: {"role": "assistant", "tool_calls": calls}, st.lists(_call, min_size=1, max_size=2)),
    st.builds(
        lambda cid, c: {"role": "tool", "tool_call_id": cid, "content": c},
        st.sampled_from(["c1", "c2"]),
        st.text(min_size=1, max_size=8),
    ),
    st.builds(
        lambda url: {
            "role": "user",
            "content": [{"type": "text", "text": "see"}, {"type": "image_url", "image_url": {"url": url}}],
        },
        st.sampled_from(["https://x.io/a.png", "gs://b/a.png", "data:image/png;base64,AAAA"]),
    ),
)
_tools = st.none() | st.just(
    [{"type": "function", "function": {"name": n, "parameters": {"type": "object"}}} for n in ("track", "cancel")]
)
_rich_chat = st.builds(
    lambda messages, tools: json.dumps({"messages": messages, **({"tools": tools} if tools is not None else {})}),
    st.lists(_message, min_size=1, max_size=6),
    _tools,
)
_others = st.sampled_from(
    [
        json.dumps({"instruction": "Name a color", "input": "", "output": "Blue"}),
        json.dumps({"conversations": [{"from": "human", "value": "Hi"}, {"from": "gpt", "value": "Hello!"}]}),
        json.dumps({"text": "Plain text for language modelling."}),
        json.dumps({"contents": [{"role": "model", "parts": [{"text": "Hi"}]}]}),
        json.dumps(
            {
                "schemaVersion": "bedrock-conversation-2024",
                "messages": [{"role": "user", "content": [{"text": "Q"}]}, {"role": "assistant", "content": [{"text": "A"}]}],
            }
        ),
    ]
)


@FAST
@given(
    st.lists(_rich_chat | _others, min_size=1, max_size=10), st.sampled_from(["openai", "google", "anthropic", "open_weights"])
)
def test_every_line_check_passes_is_kept_by_convert(tmp_path: Path, lines: list[str], provider: str) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    report = validate_file(source, provider=provider)
    assert report.target_format is not None or report.format is None
    result = convert_file(source, report.target_format or "openai_chat", tmp_path / "out", validation_fraction=0)
    rejected = {f.line for f in report.findings if f.severity == "error" and f.line is not None}
    passed = set(range(1, report.lines + 1)) - rejected
    assert not passed & {f.line for f in result.findings}
    assert result.train >= len(passed)
