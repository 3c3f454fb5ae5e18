"""The README's commands run as written: every `sh` block, in order, in one bash, against a live server.

The test lays out what a fresh clone has after `make install` (``.venv``, ``examples/``), starts
`advisor serve` there, and runs the blocks with ``set -euo pipefail``: a failing command, a missing
file or a `jq` on an error body stops the run. Only the server's address is changed (the README says
``localhost:8000``; the test's server listens on a free port). ``curl`` is wrapped to record each
response's status: it must be 2xx unless the README says otherwise next to the command (``# 409 ...``
after it, or ``# 422`` at the end of its line). Blocks after ``<!-- not run by tests/test_readme.py: ...
-->`` are left out (they start servers); blocks after ``<!-- readme-test: auth ... -->`` run against a
second server with ``ADVISOR_AUTH=on``. The JSON example of an error must be what the server answers.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.service.worker.process import free_port

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"<!--\s*(not run by tests/test_readme\.py|readme-test:\s*auth)[^>]*-->\s*$")
STATUS = re.compile(r"#\s*(\d{3})\b")
ADDRESS = re.compile(r"\b(?:localhost|127\.0\.0\.1):8000\b")
PREAMBLE = """set -euo pipefail
curl() {
  local headers
  headers=$(mktemp "$READMETEST_DIR/response.XXXXXXXX")
  local code=0
  command curl --dump-header "$headers" "$@" || code=$?
  local args="$*"
  printf '%s\\t%s\\t%s\\n' "$READMETEST_EXPECT" "$headers" "${args//$'\\n'/ }" >> "$READMETEST_DIR/calls"
  return $code
}
"""

pytestmark = pytest.mark.skipif(not (shutil.which("curl") and shutil.which("jq")), reason="the README's examples use curl and jq")


@dataclass
class Block:
    language: str
    text: str
    kind: str  # "run", "auth" or "skip"


def blocks() -> list[Block]:
    text = README.read_text(encoding="utf-8")
    found = []
    for match in FENCE.finditer(text):
        before = text[: match.start()].rstrip().splitlines()
        marker = MARKER.search(before[-1]) if before else None
        kind = "run" if marker is None else "auth" if "auth" in marker.group(1) else "skip"
        found.append(Block(match.group(1), match.group(2), kind))
    return found


def _scan(line: str, quote: str | None) -> tuple[str | None, str]:
    """The quote still open at the end of a shell line (given the one open at its start), and its trailing comment."""
    for index, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (index == 0 or line[index - 1].isspace()):
            return None, line[index:]
    return quote, ""


def script(text: str) -> str:
    """The block with ``export READMETEST_EXPECT=...`` before each command: its stated status, else 2xx."""
    commands: list[list[str]] = []
    expected: list[str] = []
    quote: str | None = None
    current: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        if not current and (not stripped or stripped.startswith("#")):
            status = STATUS.match(stripped)
            if status and commands and expected[-1] == "2xx":
                expected[-1] = status.group(1)
            continue
        current.append(line)
        quote, comment = _scan(line, quote)
        if quote or line.rstrip().endswith("\\"):
            continue
        status = STATUS.match(comment)
        commands.append(current)
        expected.append(status.group(1) if status else "2xx")
        current = []
    assert not current, f"an unfinished command in the README: {current}"
    return "".join(
        f"export READMETEST_EXPECT={status}\n" + "\n".join(lines) + "\n" for lines, status in zip(commands, expected, strict=True)
    )


class Server:
    """`advisor serve` in the clone, until the test ends."""

    def __init__(self, clone: Path, env: dict[str, str], *, worker: bool) -> None:
        self.port = free_port()
        args = [str(clone / ".venv" / "bin" / "advisor"), "serve", "--port", str(self.port)]
        self.log = (clone / f"serve-{self.port}.log").open("w")
        self.process = subprocess.Popen(
            [*args, *([] if worker else ["--no-worker"])], cwd=clone, env=env, stdout=self.log, stderr=self.log
        )
        ready = f"http://127.0.0.1:{self.port}/readyz" + ("?require=worker" if worker else "")
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (clone / f"serve-{self.port}.log").read_text()
            try:
                if httpx.get(ready, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError("the server did not become ready")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What a fresh clone holds after `make install`: the venv and the repository's files (here, the ones the README uses)."""
    path = tmp_path_factory.mktemp("clone")
    (path / ".venv").symlink_to(Path(sys.prefix))
    (path / "examples").symlink_to(ROOT / "examples")
    (path / "readme-test").mkdir()
    return path


@pytest.fixture(scope="module")
def environment(clone: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ADVISOR_")}
    for key in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GOOGLE_CLOUD_PROJECT", "OPENAI_BASE_URL"):
        env.pop(key, None)  # the README says what happens without them
    env["PYTHONPATH"] = str(ROOT)  # this checkout's code, whatever the venv was installed from
    env["READMETEST_DIR"] = str(clone / "readme-test")
    return env


@pytest.fixture(scope="module")
def server(clone: Path, environment: dict[str, str]) -> Iterator[Server]:
    running = Server(clone, environment, worker=True)
    yield running
    running.stop()


def _run(clone: Path, env: dict[str, str], text: str, port: int) -> list[tuple[str, int, str]]:
    calls = clone / "readme-test" / "calls"
    calls.unlink(missing_ok=True)
    body = PREAMBLE + ADDRESS.sub(f"127.0.0.1:{port}", text)
    result = subprocess.run(["bash", "-c", body], cwd=clone, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert result.returncode == 0, f"exit {result.returncode}\nstdout:\n{result.stdout[-4000:]}\nstderr:\n{result.stderr[-4000:]}"
    answered = []
    for line in calls.read_text(encoding="utf-8").splitlines():
        expect, headers, args = line.split("\t", 2)
        statuses = re.findall(r"^HTTP/[\d.]+ (\d{3})", Path(headers).read_text(encoding="latin-1"), re.MULTILINE)
        assert statuses, f"no response to curl {args}"
        answered.append((expect, int(statuses[-1]), args))
    return answered


def _check(answered: list[tuple[str, int, str]]) -> None:
    wrong = [
        f"{status} (README says {expect}) for curl {args}"
        for expect, status, args in answered
        if (expect == "2xx" and not 200 <= status < 300) or (expect != "2xx" and status != int(expect))
    ]
    assert not wrong, "\n".join(wrong)


def test_every_sh_block_runs_as_written(server: Server, clone: Path, environment: dict[str, str]) -> None:
    runnable = [block for block in blocks() if block.language == "sh" and block.kind == "run"]
    assert len(runnable) >= 10
    answered = _run(clone, environment, "".join(script(block.text) for block in runnable), server.port)
    assert len(answered) >= 30  # the curl examples really ran
    assert {status for expect, status, _ in answered if expect != "2xx"} >= {400, 409, 422}
    _check(answered)
    assert (clone / "gemini-train.jsonl").is_file()  # the download did not overwrite the upload
    assert (clone / "out" / "train.jsonl").is_file()


def test_the_keys_block_runs_against_a_server_with_keys_on(server: Server, clone: Path, environment: dict[str, str]) -> None:
    auth = [block for block in blocks() if block.kind == "auth"]
    assert auth, "the Keys section is marked to run with keys on"
    keyed = Server(clone, {**environment, "ADVISOR_AUTH": "on"}, worker=False)
    try:
        answered = _run(clone, environment, "".join(script(block.text) for block in auth), keyed.port)
    finally:
        keyed.stop()
    assert [status for _, status, _ in answered] == [200, 401]
    _check(answered)


def test_the_error_example_is_what_the_server_answers(server: Server) -> None:
    text = README.read_text(encoding="utf-8")
    example = next(block for block in blocks() if block.language == "json" and '"code": "validation_error"' in block.text)
    request = re.search(r"-d '(\{[^']*\})'\s+#\s*422", text)
    assert request, "the README shows the request that gives its error example"
    response = httpx.post(
        f"http://127.0.0.1:{server.port}/v1/advice", content=request.group(1), headers={"content-type": "application/json"}
    )
    shown, answered = json.loads(example.text), response.json()
    assert answered.pop("request_id") == response.headers["x-request-id"]
    assert shown.pop("request_id")
    assert shown == answered


def test_the_readme_marks_only_server_starting_blocks_as_not_run() -> None:
    skipped = [block.text for block in blocks() if block.kind == "skip"]
    assert all(re.search(r"make run|advisor serve|advisor worker", text) for text in skipped), skipped
