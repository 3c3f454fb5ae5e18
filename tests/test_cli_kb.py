"""`advisor kb` and `advisor prompt` as a user runs them: summaries for people, --json for scripts, no library noise."""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest

from service.console import Progress
from tests.test_cli import ADVISOR

DOCS = {
    "vacation.md": "# Vacation\n\nEmployees get 25 vacation days a year. Unused days carry over until March.\n",
    "security.md": "# Security\n\nReport a lost laptop to the IT desk within one hour. Passwords rotate every 90 days.\n",
    "expenses.md": "# Expenses\n\nSubmit receipts within 30 days.\nMeals abroad are covered up to 60 euros a day,\n"
    "taxis after 22:00 are covered in full, and every claim needs the project code on the first line of the form.\n",
}


def advisor(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ADVISOR_DATA_DIR": str(tmp_path / "data")}
    return subprocess.run([str(ADVISOR), *args], capture_output=True, text=True, timeout=300, check=False, env=env, cwd=tmp_path)


@pytest.fixture(scope="module")
def handbook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A knowledge base made and filled with the CLI alone (no worker running: the command owns the store)."""
    root = tmp_path_factory.mktemp("kb")
    for name, text in DOCS.items():
        (root / name).write_text(text, encoding="utf-8")
    created = advisor(root, "kb", "create", "handbook")
    assert created.returncode == 0, created.stderr
    assert created.stdout.startswith("Created knowledge base handbook (")
    ingested = advisor(root, "kb", "ingest", "handbook", *DOCS)
    assert ingested.returncode == 0, ingested.stderr
    assert "Ingested 3 files into handbook in " in ingested.stdout
    assert "3 chunks embedded, 0 unchanged, 0 replaced." in ingested.stdout
    assert "Loading weights" not in ingested.stderr and "it/s]" not in ingested.stderr  # no library progress bars
    assert ingested.stderr.strip() == ""  # and no progress line: stderr is not a terminal here
    return root


def test_create_and_ingest_speak_json_on_request(handbook: Path) -> None:
    created = advisor(handbook, "kb", "create", "other", "--json")
    assert json.loads(created.stdout)["name"] == "other"
    again = advisor(handbook, "kb", "ingest", "handbook", "vacation.md", "--json")
    job = json.loads(again.stdout)
    assert job["state"] == "succeeded" and job["result"]["skipped"] == 1 and job["result"]["embedded"] == 0


def test_query_indents_every_line_of_a_hit(handbook: Path) -> None:
    result = advisor(handbook, "kb", "query", "handbook", "taxis at night and meal limits abroad", "--k", "2")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("1. expenses.md #0  relevance ")
    hit_text = [line for line in lines[1:] if not line[:1].isdigit()]
    assert len(hit_text) >= 2  # long enough to wrap: the test is about the wrapped lines
    assert all(line.startswith("   ") and len(line) <= 80 for line in hit_text), result.stdout
    as_json = json.loads(advisor(handbook, "kb", "query", "handbook", "vacation days", "--json").stdout)
    assert as_json["hits"][0]["doc"] == "vacation.md"


def test_eval_prints_a_table_and_json_on_request(handbook: Path) -> None:
    questions = handbook / "questions.jsonl"
    questions.write_text(
        '{"q": "How many vacation days do I get?", "expected_doc": "vacation.md"}\n'
        '{"q": "I lost my laptop", "expected_doc": "security.md"}\n',
        encoding="utf-8",
    )
    table = advisor(handbook, "kb", "eval", "handbook", str(questions))
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[:2] == ["handbook: 2 questions", "mode     lang     n  hit@1  hit@3  hit@5    MRR"]
    rows = {tuple(line.split()[:3]) for line in lines[2:]}
    assert {("dense", "all", "2"), ("dense", "en", "2"), ("lexical", "all", "2"), ("hybrid", "en", "2")} <= rows
    assert json.loads(advisor(handbook, "kb", "eval", "handbook", str(questions), "--json").stdout)["dense"]["n"] == 2


def test_few_shot_loads_the_model_quietly(tmp_path: Path) -> None:
    examples = tmp_path / "examples.jsonl"
    examples.write_text(
        "".join(json.dumps({"input": f"question {i}", "output": "billing" if i % 2 else "mobile"}) + "\n" for i in range(6)),
        encoding="utf-8",
    )
    result = advisor(tmp_path, "prompt", "few-shot", str(examples), "--provider", "openai", "--budget", "400")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("### system")
    assert "Loading weights" not in result.stderr and "it/s]" not in result.stderr
    assert all(line.startswith("# ") for line in result.stderr.splitlines() if line.strip())


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_says_what_it_waits_for_and_estimates_only_from_measured_work(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = [100.0]
    monkeypatch.setattr("service.console.time.monotonic", lambda: clock[0])
    screen = FakeTerminal()
    progress = Progress("Ingesting", screen)
    progress.waiting("loading the embedding model")
    clock[0] += 30  # a slow model load is not work done: it must not make the estimate
    progress.update(0, 300)
    assert screen.getvalue().rstrip().endswith("Ingesting: 0 of 300 chunks")
    progress.update(100, 300)
    clock[0] += 10
    progress.update(200, 300)  # 100 chunks in 10 s since the first measured progress
    assert screen.getvalue().rstrip().endswith("Ingesting: 200 of 300 chunks, about 10 s left")
    assert "loading the embedding model…" in screen.getvalue()
    quiet = io.StringIO()
    Progress("Ingesting", quiet).update(1, 2)
    assert quiet.getvalue() == ""  # not a terminal: no progress line at all
