"""The `advisor` console script, run as a user runs it."""

from __future__ import annotations

import http.client
import json
import os
import pty
import re
import select
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command

from service.cli import app
from service.console import plain_help, plural
from tests.conftest import load_scenarios
from tests.service.worker.process import free_port

ADVISOR = Path(sys.executable).parent / "advisor"


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ADVISOR), *args], input=stdin, capture_output=True, text=True, timeout=120, check=False)


def test_decide_file_prints_a_report_and_json_on_request(tmp_path: Path) -> None:
    case = next(c for c in load_scenarios() if c["expect"]["strategy"] == "rag")
    path = tmp_path / "profile.json"
    path.write_text(json.dumps(case["profile"]), encoding="utf-8")
    report = run("decide", str(path))
    assert report.returncode == 0, report.stderr
    assert "Recommendation: " in report.stdout and not report.stdout.lstrip().startswith("{")
    result = run("decide", str(path), "--json")
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
    before = json.loads(run("decide", "-", "--json", "--today", "2026-11-24", stdin=json.dumps(profile)).stdout)
    after = json.loads(run("decide", "-", "--json", "--today", "2027-02-01", stdin=json.dumps(profile)).stdout)
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


def _paths(command: Any, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    yield prefix
    for name, sub in getattr(command, "commands", {}).items():
        yield from _paths(sub, (*prefix, name))


COMMAND = plain_help(get_command(app))
TYPE_LABEL = re.compile(r"<(?:str|int|float|bool|file|path|Path|list|datetime|%Y)[^>]*>|\{[A-Z_.]+\}")


@pytest.mark.parametrize("path", list(_paths(COMMAND)), ids=lambda path: " ".join(path) or "advisor")
def test_help_is_plain_and_fits_80_columns(
    path: tuple[str, ...], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    COMMAND.main(args=[*path, "--help"], prog_name="advisor", standalone_mode=False)
    text = capsys.readouterr().out
    assert text.startswith("Usage: advisor")
    assert all(len(line) <= 80 for line in text.splitlines()), text
    assert not TYPE_LABEL.search(text), text  # no "<str>", "<list[Path]>", "{file}"
    assert "…" not in text
    command = COMMAND
    for name in path:
        command = command.commands[name]
    for param in command.params:
        for option in getattr(param, "opts", []):
            if option.startswith("-") and not getattr(param, "hidden", False):
                assert option in text, f"{option} is missing or cut in:\n{text}"
    listed = text.split("Commands:", 1)[1].splitlines() if "Commands:" in text else []
    assert not [line for line in listed if line.rstrip().endswith("...")], text  # a summary Click had to cut


def test_counts_read_as_words() -> None:
    knowledge = run("knowledge", "check", "--today", "2026-11-24")
    assert "1 findings" not in knowledge.stdout and "1 notes" not in knowledge.stdout
    assert re.search(r"\d+ providers?, catalog as_of", knowledge.stdout)
    assert plural(1, "error") == "1 error" and plural(2, "error") == "2 errors" and plural(1204, "example") == "1,204 examples"


def _serve_output(tmp_path: Path, *, terminal: bool) -> str:
    """The first lines `advisor serve` writes, to a terminal or to a pipe, until it says where to open the page."""
    port = free_port()
    env = {**os.environ, "ADVISOR_DATA_DIR": str(tmp_path / "data")}
    env.pop("ADVISOR_LOG_FORMAT", None)
    leader, follower = pty.openpty() if terminal else os.pipe()
    process = subprocess.Popen(
        [str(ADVISOR), "serve", "--port", str(port), "--no-worker"], stdout=follower, stderr=follower, env=env, cwd=tmp_path
    )
    os.close(follower)
    output, deadline = b"", time.monotonic() + 90
    try:
        while b"/docs for the API" not in output and time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 1.0)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
    finally:
        process.terminate()
        process.wait(timeout=30)
        os.close(leader)
    return output.decode("utf-8", "replace").replace("\r\n", "\n")


def test_serve_says_where_to_open_the_page_in_lines_for_people_on_a_terminal(tmp_path: Path) -> None:
    text = _serve_output(tmp_path, terminal=True)
    line = next(line for line in text.splitlines() if "Tuning Advisor is up" in line)
    assert re.search(r"open http://127\.0\.0\.1:\d+/ for the page, http://127\.0\.0\.1:\d+/docs for the API", line)
    assert not any(line.startswith("{") for line in text.splitlines() if line.strip())


def test_serve_logs_json_lines_when_not_on_a_terminal(tmp_path: Path) -> None:
    text = _serve_output(tmp_path, terminal=False)
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    up = next(line for line in lines if "Tuning Advisor is up" in line["msg"])
    assert up["logger"] == "service.serve" and "/docs for the API" in up["msg"]


def _served(tmp_path: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    """`advisor serve --no-worker` on a free port, once it answers /healthz."""
    port = free_port()
    environment = {**os.environ, "ADVISOR_DATA_DIR": str(tmp_path / "data"), **env}
    process = subprocess.Popen(
        [str(ADVISOR), "serve", "--port", str(port), "--no-worker"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=environment,
        cwd=tmp_path,
    )
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, port
        except OSError:
            time.sleep(0.2)
    process.terminate()
    raise AssertionError("advisor serve did not listen")


def _answers_after_idle(port: int, idle: float) -> bool:
    """Whether a kept-alive connection still answers a second request after ``idle`` seconds without traffic."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", "/healthz")
        first = connection.getresponse()
        first.read()  # the whole answer, so the connection is idle and reusable
        assert first.status == 200 and not first.will_close
        time.sleep(idle)
        try:
            connection.request("GET", "/healthz")
            return connection.getresponse().status == 200
        except (http.client.HTTPException, OSError):  # closed by the server (RemoteDisconnected, reset, broken pipe)
            return False
    finally:
        connection.close()


@pytest.mark.parametrize(("setting", "idle", "answers"), [(None, 6.0, True), ("1", 2.5, False)])
def test_serve_keeps_idle_connections_longer_than_clients_do(
    tmp_path: Path, setting: str | None, idle: float, answers: bool
) -> None:
    """uvicorn closes an idle connection after 5 s unless told otherwise, and a client that reuses one just then loses
    its request (bench/load.py saw it). `advisor serve` keeps them ADVISOR_KEEP_ALIVE_SECONDS (75 by default)."""
    process, port = _served(tmp_path, {} if setting is None else {"ADVISOR_KEEP_ALIVE_SECONDS": setting})
    try:
        assert _answers_after_idle(port, idle) is answers
    finally:
        process.terminate()
        process.wait(timeout=30)
