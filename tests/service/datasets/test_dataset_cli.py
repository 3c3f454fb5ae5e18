"""``advisor data check|convert`` through Typer's runner: output, JSON keys and exit codes."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.datasets import cli
from service.datasets.cli import data_app
from tests.service.datasets.helpers import FIXTURES, clean_lines

Writer = Callable[..., Path]
runner = CliRunner()
REPORT_KEYS = {
    "format",
    "examples",
    "lines",
    "findings",
    "tokens",
    "epochs",
    "estimated_cost_usd",
    "provider",
    "model",
    "ok",
    "sha256",
}


def test_check_json_clean_exits_0() -> None:
    result = runner.invoke(data_app, ["check", str(FIXTURES / "clean_chat.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report.keys() >= REPORT_KEYS
    assert set(report["tokens"]) >= {"exact", "tokenizer", "min", "median", "p95", "max", "total"}
    assert report["tokens"]["tool_definition_tokens"] == 0 and report["tokens"]["estimated_parts"] == []
    assert report["ok"] is True and report["examples"] == 12 and report["model"] == "gpt-4.1-mini"


def test_check_json_with_errors_exits_1(write_jsonl: Writer) -> None:
    result = runner.invoke(data_app, ["check", str(write_jsonl([*clean_lines(12), "{oops"])), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert {"code": "invalid_json", "line": 13, "severity": "error"}.items() <= report["findings"][-1].items()


def test_check_for_another_provider_and_model() -> None:
    result = runner.invoke(
        data_app, ["check", str(FIXTURES / "clean_gemini.jsonl"), "--provider", "google", "--model", "gemini-2.5-pro", "--json"]
    )
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["model"] == "gemini-2.5-pro" and report["tokens"]["exact"] is False


def test_check_readable_report_with_progress_bar(write_jsonl: Writer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cli, "PROGRESS_BYTES", 0)  # draw the bar even for a small file
    path = write_jsonl([*clean_lines(12), '{"messages": []}'])
    result = runner.invoke(data_app, ["check", str(path)])
    assert result.exit_code == 1
    assert "line 13" in result.stdout and "missing_messages" in result.stdout and "NOT OK: 1 error," in result.stdout
    assert "12 valid examples in 13 lines" in result.stdout


def test_check_unknown_provider_exits_2() -> None:
    result = runner.invoke(data_app, ["check", str(FIXTURES / "clean_chat.jsonl"), "--provider", "cohere"])
    assert result.exit_code == 2 and "Unknown provider" in result.stderr


def test_check_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    assert runner.invoke(data_app, ["check", str(tmp_path / "nope.jsonl")]).exit_code == 2


def test_convert(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = [
        "convert",
        str(FIXTURES / "clean_chat.jsonl"),
        "--to",
        "gemini_contents",
        "-o",
        str(out),
        "--validation-fraction",
        "0.25",
        "--seed",
        "1",
    ]
    result = runner.invoke(data_app, args)
    assert result.exit_code == 0, result.output
    train, validation = (out / "train.jsonl").read_text().splitlines(), (out / "validation.jsonl").read_text().splitlines()
    assert len(train) + len(validation) == 12 and validation
    assert all("contents" in json.loads(line) for line in train)
    assert f"-> {out / 'train.jsonl'}" in result.stdout


def test_convert_rejects_unknown_format_and_empty_input(tmp_path: Path, write_jsonl: Writer) -> None:
    bad = runner.invoke(data_app, ["convert", str(FIXTURES / "clean_chat.jsonl"), "--to", "xml", "-o", str(tmp_path)])
    assert bad.exit_code == 2 and "Unknown format" in bad.stderr
    empty = runner.invoke(data_app, ["convert", str(write_jsonl(["nope"])), "--to", "openai_chat", "-o", str(tmp_path / "e")])
    assert empty.exit_code == 1 and "nothing to train on" in empty.stderr
