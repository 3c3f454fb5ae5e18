"""convert_file: round trips between formats, dedup, and a deterministic seeded split."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

from service.datasets.convert import convert_file, iter_examples
from service.datasets.schemas import TARGET_FORMATS, Example
from service.datasets.validate import validate_file
from service.errors import ValidationFailed
from tests.service.datasets.helpers import FIXTURES, chat, clean_lines

Writer = Callable[..., Path]


def examples(path: Path) -> list[Example]:
    return [e for _, e in iter_examples(path) if e is not None]


def read(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_openai_to_gemini_and_back_keeps_every_turn(tmp_path: Path) -> None:
    source = FIXTURES / "clean_chat.jsonl"
    there = convert_file(source, "gemini_contents", tmp_path / "g", validation_fraction=0)
    back = convert_file(there.train_path, "openai_chat", tmp_path / "o", validation_fraction=0)
    assert examples(back.train_path) == examples(source)
    assert len(examples(source)) == 12
    assert any(len(e.turns) == 4 for e in examples(source))  # the multi-turn example survived


@pytest.mark.parametrize("target", ["openai_chat", "gemini_contents", "anthropic_bedrock", "trl_messages"])
def test_chat_targets_round_trip(target: str, tmp_path: Path) -> None:
    result = convert_file(FIXTURES / "clean_chat.jsonl", target, tmp_path, validation_fraction=0)
    assert (result.train, result.dropped, result.duplicates) == (12, 0, 0)
    assert examples(result.train_path) == examples(FIXTURES / "clean_chat.jsonl")


def test_converted_files_validate_clean_for_their_provider(tmp_path: Path) -> None:
    gemini = convert_file(FIXTURES / "clean_chat.jsonl", "gemini_contents", tmp_path / "g", validation_fraction=0)
    report = validate_file(gemini.train_path, provider="google")
    assert report.ok and report.format == "gemini_contents" and report.examples == 12
    assert "format_needs_conversion" not in {f.code for f in report.findings}
    chat_file = convert_file(FIXTURES / "clean_prompt_completion.csv", "openai_chat", tmp_path / "o", validation_fraction=0)
    assert validate_file(chat_file.train_path).ok


def test_prompt_completion(tmp_path: Path, write_jsonl: Writer) -> None:
    multi = {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "Open on Sunday?"},
            {"role": "assistant", "content": "No, closed on Sundays."},
            {"role": "user", "content": "A trailing question nobody answered"},
        ]
    }
    source = write_jsonl([json.dumps(chat("Single?", "Single answer.")), json.dumps(multi)])
    result = convert_file(source, "prompt_completion", tmp_path / "pc", validation_fraction=0)
    first, second = (json.loads(line) for line in read(result.train_path))
    assert first == {"prompt": "Single?", "completion": "Single answer."}
    assert second == {
        "prompt": "System: Be brief.\n\nUser: Hi\n\nAssistant: Hello.\n\nUser: Open on Sunday?\n\nAssistant:",
        "completion": "No, closed on Sundays.",
    }
    assert examples(result.train_path)[0] == Example(None, (("user", "Single?"), ("assistant", "Single answer.")))


def test_instruction_and_author_chat_are_read(tmp_path: Path, write_jsonl: Writer) -> None:
    source = write_jsonl(
        [
            json.dumps({"input_text": "Q1", "output_text": "A1 here"}),
            json.dumps({"prompt": "Q2", "completion": "A2 here"}),
            json.dumps(
                {
                    "context": "Be kind.",
                    "messages": [{"author": "user", "content": "Q3"}, {"author": "model", "content": "A3 here"}],
                }
            ),
        ]
    )
    result = convert_file(source, "openai_chat", tmp_path, validation_fraction=0)
    assert [json.loads(line)["messages"] for line in read(result.train_path)] == [
        [{"role": "user", "content": "Q1"}, {"role": "assistant", "content": "A1 here"}],
        [{"role": "user", "content": "Q2"}, {"role": "assistant", "content": "A2 here"}],
        [
            {"role": "system", "content": "Be kind."},
            {"role": "user", "content": "Q3"},
            {"role": "assistant", "content": "A3 here"},
        ],
    ]


def test_bedrock_merges_runs_and_drops_assistant_first(tmp_path: Path, write_jsonl: Writer) -> None:
    runs = {
        "messages": [
            {"role": "user", "content": "Part one."},
            {"role": "user", "content": "Part two."},
            {"role": "assistant", "content": "Got both."},
        ]
    }
    opener = {
        "messages": [
            {"role": "assistant", "content": "Welcome!"},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "How can I help?"},
        ]
    }
    result = convert_file(
        write_jsonl([json.dumps(runs), json.dumps(opener)]), "anthropic_bedrock", tmp_path, validation_fraction=0
    )
    assert (result.train, result.dropped) == (1, 1)
    assert json.loads(read(result.train_path)[0]) == {
        "messages": [{"role": "user", "content": "Part one.\n\nPart two."}, {"role": "assistant", "content": "Got both."}]
    }


def test_invalid_and_duplicate_lines_are_not_written(tmp_path: Path, write_jsonl: Writer) -> None:
    tool = {
        "messages": [
            {"role": "user", "content": "Track A1"},
            {"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "t", "arguments": "{}"}}]},
            {"role": "tool", "tool_call_id": "c", "content": "late"},
            {"role": "assistant", "content": "It is late."},
        ]
    }
    lines = clean_lines(5)
    source = write_jsonl([*lines, lines[0], lines[1], "not json", "", json.dumps(tool), json.dumps({"messages": []})])
    result = convert_file(source, "openai_chat", tmp_path, validation_fraction=0)
    assert (result.train, result.duplicates, result.dropped) == (6, 2, 2)  # the tool-call line is kept
    assert len(set(read(result.train_path))) == 6
    assert {(f.code, f.line) for f in result.findings} == {("invalid_json", 8), ("missing_messages", 11)}


def test_split_is_deterministic_and_order_free(tmp_path: Path, write_jsonl: Writer) -> None:
    lines = clean_lines(300)
    shuffled = lines[:]
    random.Random(3).shuffle(shuffled)
    a = convert_file(write_jsonl(lines), "openai_chat", tmp_path / "a")
    b = convert_file(write_jsonl(lines), "openai_chat", tmp_path / "b")
    c = convert_file(write_jsonl(shuffled), "openai_chat", tmp_path / "c")
    d = convert_file(write_jsonl(lines), "openai_chat", tmp_path / "d", seed=7)
    assert a.validation_path and b.validation_path and c.validation_path and d.validation_path
    assert read(a.validation_path) == read(b.validation_path) and read(a.train_path) == read(b.train_path)
    assert sorted(read(a.validation_path)) == sorted(read(c.validation_path))
    assert set(read(a.validation_path)) != set(read(d.validation_path))
    assert 10 <= a.validation <= 55 and a.train + a.validation == 300
    assert not set(read(a.validation_path)) & set(read(a.train_path))


@pytest.mark.parametrize("seed", range(6))
def test_two_examples_give_one_of_each(seed: int, tmp_path: Path, write_jsonl: Writer) -> None:
    result = convert_file(write_jsonl(clean_lines(2)), "openai_chat", tmp_path, seed=seed)
    assert (result.train, result.validation) == (1, 1)
    assert result.validation_path is not None
    assert len(read(result.train_path)) == 1 and len(read(result.validation_path)) == 1


def test_high_fraction_still_leaves_a_training_example(tmp_path: Path, write_jsonl: Writer) -> None:
    result = convert_file(write_jsonl(clean_lines(3)), "openai_chat", tmp_path, validation_fraction=0.99)
    assert result.train >= 1 and result.train + result.validation == 3
    assert len(read(result.train_path)) == result.train


def test_no_validation_file_when_fraction_is_zero(tmp_path: Path, write_jsonl: Writer) -> None:
    result = convert_file(write_jsonl(clean_lines(4)), "openai_chat", tmp_path, validation_fraction=0)
    assert result.validation_path is None and not (tmp_path / "validation.jsonl").exists() and result.train == 4


def test_non_ascii_and_lone_surrogates_survive(tmp_path: Path, write_jsonl: Writer) -> None:
    source = write_jsonl(
        ['{"messages": [{"role": "user", "content": "שלום \\ud800"}, {"role": "assistant", "content": "היי שם"}]}']
    )
    result = convert_file(source, "gemini_contents", tmp_path, validation_fraction=0)
    assert "שלום" in result.train_path.read_text(encoding="utf-8")
    assert examples(result.train_path) == [Example(None, (("user", "שלום \ud800"), ("assistant", "היי שם")))]


@pytest.mark.parametrize(("kwargs", "field"), [({"to": "csv"}, "to"), ({"validation_fraction": 1.0}, "validation_fraction")])
def test_bad_arguments(kwargs: dict[str, object], field: str, tmp_path: Path) -> None:
    arguments: dict[str, object] = {"to": "openai_chat", **kwargs}
    with pytest.raises(ValidationFailed) as error:
        convert_file(FIXTURES / "clean_chat.jsonl", out_dir=tmp_path, **arguments)  # type: ignore[arg-type]
    assert error.value.field == field


@pytest.mark.parametrize("target", [t for t in TARGET_FORMATS if t != "trl_text"])
def test_every_chat_target_writes_all_examples_as_json_objects(target: str, tmp_path: Path) -> None:
    result = convert_file(FIXTURES / "clean_chat.jsonl", target, tmp_path)
    assert result.validation_path is not None and result.train + result.validation == 12
    written = read(result.train_path) + read(result.validation_path)
    assert len(written) == 12 and all(isinstance(json.loads(line), dict) for line in written)
