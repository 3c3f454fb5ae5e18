"""`advisor prompt few-shot EXAMPLES.jsonl --provider P --budget N`: the prompt as text, or the artifact as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from service.prompts.cli import prompt_app
from tests.service.prompts.conftest import TASK, ticket_examples

advisor = typer.Typer()
advisor.add_typer(prompt_app, name="prompt")  # mounted as service.cli mounts it
runner = CliRunner()


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    path = tmp_path / "examples.jsonl"
    path.write_text("".join(json.dumps(e) + "\n" for e in ticket_examples()), encoding="utf-8")
    return path


def test_prints_the_rendered_prompt(examples: Path) -> None:
    result = runner.invoke(
        advisor, ["prompt", "few-shot", str(examples), "--provider", "openai", "--budget", "300", "--task", TASK]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("### system\n" + TASK)
    assert result.stdout.count("### assistant") >= 1 and result.stdout.rstrip().endswith("{{input}}")
    assert "of 300 tokens (o200k_base)" in result.stderr


def test_json_prints_the_artifact_with_line_numbers_as_ids(examples: Path) -> None:
    args = ["prompt", "few-shot", str(examples), "--provider", "anthropic", "--budget", "400", "--json", "--state", "plan"]
    result = runner.invoke(advisor, args)
    assert result.exit_code == 0, result.output
    artifact = json.loads(result.stdout)
    assert artifact["kind"] == "few_shot_prompt" and artifact["token_count"] <= 400
    assert sorted(artifact["example_ids"] + artifact["held_out_ids"]) == list(range(1, 11))
    assert artifact["placeholders"] == ["input", "plan"]


def test_a_budget_below_the_instructions_fails_with_the_minimum(examples: Path) -> None:
    result = runner.invoke(advisor, ["prompt", "few-shot", str(examples), "--provider", "openai", "--budget", "3"])
    assert result.exit_code == 2
    assert "raise token_budget to at least" in result.stderr


def test_a_file_without_examples_says_what_a_line_looks_like(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text('{"text": "no pair"}\n', encoding="utf-8")
    result = runner.invoke(advisor, ["prompt", "few-shot", str(path), "--provider", "openai", "--budget", "300"])
    assert result.exit_code == 2
    assert "input and output" in result.stderr


def test_an_unknown_provider_is_named(examples: Path) -> None:
    result = runner.invoke(advisor, ["prompt", "few-shot", str(examples), "--provider", "mistral", "--budget", "300"])
    assert result.exit_code == 2
    assert "provider" in result.stderr
