"""`advisor experiment run` and `show` against the loopback OpenAI-compatible server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service.cli import app as cli
from service.config import get_settings
from tests.service.experiments.fake_chat import FakeChat, serve
from tests.service.experiments.test_experiments import LABELS, SCRIPTS


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ADVISOR_EXPERIMENT_RETRIES", "1")
    get_settings.cache_clear()
    yield tmp_path / "data"
    get_settings.cache_clear()


def test_run_then_show(data_dir: Path, tmp_path: Path) -> None:
    items = tmp_path / "eval.jsonl"
    items.write_text("".join(json.dumps({"input": k, "expected": v}) + "\n" for k, v in LABELS.items()), encoding="utf-8")
    # Without the 429 and 500 steps: the CLI sleeps for real.
    chat = FakeChat({k: [v[-1]] for k, v in SCRIPTS.items()})
    runner = CliRunner()
    with serve(chat) as url:
        ran = runner.invoke(
            cli,
            ["experiment", "run", str(items), "--target-provider", "openai_compatible", "--model", "llama3.2", "--base-url", url],
        )
    assert ran.exit_code == 0, ran.output
    summary = ran.stdout.splitlines()
    assert summary[0].endswith(": succeeded, 10/10 calls")
    assert summary[1].split(" p50")[0] == "  zero_shot    0.70 [0.40, 0.89] on 10 items (exact 10), $0.0000,"
    experiment_id = summary[0].split()[1].rstrip(":")
    shown = runner.invoke(cli, ["experiment", "show", experiment_id, "--json"])
    assert shown.exit_code == 0, shown.output
    (candidate,) = json.loads(shown.stdout)["candidates"]
    assert (candidate["name"], candidate["n"], candidate["correct"]) == ("zero_shot", 10, 7)


def test_bad_input_says_where(data_dir: Path, tmp_path: Path) -> None:
    items = tmp_path / "eval.jsonl"
    items.write_text('{"input": "a", "expected": "b"}\nnot json\n', encoding="utf-8")
    failed = CliRunner().invoke(cli, ["experiment", "run", str(items), "--target-provider", "openai", "--model", "gpt-4.1-mini"])
    assert failed.exit_code == 2 and f"{items}:2: not JSON" in failed.stderr
    missing = CliRunner().invoke(cli, ["experiment", "show", "nope"])
    assert missing.exit_code == 2 and "No experiment 'nope'" in missing.stderr
