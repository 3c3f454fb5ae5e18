"""The `advisor` console script, run as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.conftest import load_scenarios

ADVISOR = Path(sys.executable).parent / "advisor"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ADVISOR), *args], input=stdin, capture_output=True, text=True, timeout=120, check=False)


def test_decide_file_prints_verdict_json(tmp_path: Path) -> None:
    case = next(c for c in load_scenarios() if c["expect"]["strategy"] == "rag")
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(case["profile"]), encoding="utf-8")
    result = run("decide", str(path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["strategy"] == "rag"


def test_decide_stdin_explain_is_readable() -> None:
    profile = {
        "task": "Tone-matched answers",
        "provider": "anthropic",
        "examples": 3000,
        "example_quality": "high",
        "custom_style": True,
        "prompting_status": "insufficient",
    }
    result = run("decide", "-", "--explain", "--today", "2026-11-24", stdin=json.dumps(profile))
    assert result.returncode == 0, result.stderr
    # Claude cannot be tuned: the recommendation stays fine-tuning and names where to tune instead.
    assert "Recommendation: Fine-tuning" in result.stdout
    assert "Where to tune: Anthropic (Claude) offers no fine-tuning" in result.stdout
    assert "[§s5-providers]" in result.stdout and "provider_cannot_fine_tune" not in result.stdout
    hebrew = run("decide", "-", "--explain", "--lang", "he", "--today", "2026-11-24", stdin=json.dumps(profile))
    assert "המלצה: כוונון עדין" in hebrew.stdout


def test_decide_rejects_bad_input_with_location(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"task": "x", "examples": "many"}', encoding="utf-8")
    result = run("decide", str(bad))
    assert result.returncode == 2
    assert "examples" in result.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"task": \n', encoding="utf-8")
    result = run("decide", str(broken))
    assert result.returncode == 2
    assert "line 2" in result.stderr
    assert run("decide", str(tmp_path / "missing.json")).returncode == 2


def test_rules_and_knowledge_checks_pass() -> None:
    rules = run("rules", "check")
    assert rules.returncode == 0, rules.stderr
    assert "rules OK" in rules.stdout
    knowledge = run("knowledge", "check")
    assert knowledge.returncode == 0, knowledge.stderr


def test_knowledge_check_warns_about_stale_entries() -> None:
    result = run("knowledge", "check", "--max-age-days", "0")
    assert result.returncode == 0
    assert "warning: " in result.stderr and "days old" in result.stderr


def test_decide_takes_today() -> None:
    profile = {
        "task": "Classify tickets",
        "provider": "openai",
        "examples": 3000,
        "example_quality": "high",
        "custom_style": True,
        "prompting_status": "insufficient",
    }
    before = json.loads(run("decide", "-", "--today", "2026-11-24", stdin=json.dumps(profile)).stdout)
    after = json.loads(run("decide", "-", "--today", "2027-02-01", stdin=json.dumps(profile)).stdout)
    # OpenAI stops new fine-tuning jobs on 2027-01-06: before, the flag counts the days; after, it simply cannot tune.
    # Either way the tuning moves to a provider whose tuned models keep serving.
    assert before["strategy"] == "fine_tuning" and "provider_fine_tuning_ending" in [f["code"] for f in before["flags"]]
    assert after["strategy"] == "fine_tuning" and "provider_cannot_fine_tune" in [f["code"] for f in after["flags"]]
    assert before["tuning"]["provider"] == after["tuning"]["provider"] == "google"
    assert run("decide", "-", "--today", "not-a-date", stdin=json.dumps(profile)).returncode == 2


def test_knowledge_check_reports_by_date_and_fails_only_when_strict() -> None:
    later = run("knowledge", "check", "--today", "2027-02-01")
    assert later.returncode == 0, later.stderr  # not strict: a date passing never turns CI red
    assert "[no_default] openai.tuning" in later.stderr
    assert "[past_shutdown_referenced] guide/en.md#s5-openai: names openai's gpt-4.1-mini" in later.stderr
    assert "knowledge check on 2027-02-01" in later.stdout
    strict = run("knowledge", "check", "--today", "2027-02-01", "--strict")
    assert strict.returncode == 1
    soon = run("knowledge", "check", "--today", "2026-11-24")
    assert "[date_soon] openai.models.gpt-4.1-mini: shuts down with its fine-tunes on 2027-01-14 (51 days)" in soon.stderr
