"""How fast `/advise` is acknowledged, next to a bare GET /healthz on the same server.

Run: .venv/bin/python bench/slack_ack.py [--commands N]

Starts the real server (`uvicorn service.main:create_app --factory`, fresh SQLite in a temp dir, Slack on)
and a fake Slack Web API on loopback, then sends N signed slash commands twice:

* idle: one at a time, each after the previous one's two messages reached the fake Slack, so the ack
  competes with nothing;
* back-to-back: one right after another, so each ack competes with the intake, advice and posting of the
  commands before it (what a busy channel looks like).

A /healthz round trip is timed between commands as the floor of the HTTP stack. Prints p50/p99 of each
and the Web API calls counted (2 per command: no retry or race posts twice). Not a pass/fail test.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/http.py shadows the stdlib

import argparse  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

ROOT = HERE.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
SECRET = "bench-signing-secret"
TEAM = "TBENCH"
TEXT = "We have 2000 high quality labelled examples of support replies in our brand voice, using OpenAI"


class FakeSlack(BaseHTTPRequestHandler):
    calls = 0
    changed = threading.Condition()

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with FakeSlack.changed:
            FakeSlack.calls += 1
            FakeSlack.changed.notify_all()
        body = json.dumps({"ok": True, "ts": f"{time.time():.6f}", "channel": "C1"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return

    @classmethod
    def wait_for(cls, calls: int, timeout: float = 60.0) -> None:
        with cls.changed:
            if not cls.changed.wait_for(lambda: cls.calls >= calls, timeout):
                raise SystemExit(f"expected {calls} Slack calls, saw {cls.calls}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(data_dir: Path, port: int, slack_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ADVISOR_DATA_DIR": str(data_dir),
        "ADVISOR_LOG_LEVEL": "WARNING",
        "ADVISOR_SLACK_SIGNING_SECRET": SECRET,
        "ADVISOR_SLACK_WORKSPACES": json.dumps({TEAM: {"bot_token": "xoxb-bench", "tenant": "bench"}}),
        "ADVISOR_SLACK_API_URL": slack_url,
        "ADVISOR_INTAKE_PROVIDER": "rules",
        "HF_HUB_OFFLINE": "1",
    }
    command = [str(PYTHON), "-m", "uvicorn", "service.main:create_app", "--factory", "--port", str(port)]
    server = subprocess.Popen([*command, "--log-level", "warning"], env=env, cwd=ROOT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return server
        except httpx.HTTPError:
            time.sleep(0.2)
    server.kill()
    raise SystemExit("the server did not start within 60 s")


def command(client: httpx.Client, number: int) -> float:
    form = {"team_id": TEAM, "channel_id": "C1", "user_id": "U1", "command": "/advise", "text": TEXT}
    form |= {"response_url": "http://127.0.0.1:9/unused", "trigger_id": f"bench.{number}.{time.time_ns()}"}
    body = urllib.parse.urlencode(form).encode()
    stamp = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    headers = {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": signature}
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    start = time.perf_counter()
    response = client.post("/slack/events", content=body, headers=headers)
    seconds = time.perf_counter() - start
    if response.status_code != 200:
        raise SystemExit(f"ack failed: {response.status_code} {response.text[:200]}")
    return seconds


def health(client: httpx.Client) -> float:
    start = time.perf_counter()
    client.get("/healthz")
    return time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def line(name: str, values: list[float]) -> str:
    return f"{name:<26} n={len(values):>4}  p50 {pct(values, 0.5):7.2f} ms  p99 {pct(values, 0.99):7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=200)
    args = parser.parse_args()
    fake = ThreadingHTTPServer(("127.0.0.1", 0), FakeSlack)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = start_server(Path(tmp), port, f"http://127.0.0.1:{fake.server_address[1]}/api/")
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                for number in range(5):  # warm-up: imports, first connections, first advice
                    command(client, -number - 1)
                FakeSlack.wait_for(10)
                idle, floor = [], []
                for number in range(args.commands):
                    floor.append(health(client))
                    idle.append(command(client, number))
                    FakeSlack.wait_for(10 + 2 * (number + 1))
                busy = [command(client, args.commands + number) for number in range(args.commands)]
                FakeSlack.wait_for(10 + 4 * args.commands)
        finally:
            server.terminate()
            server.wait(30)
    print(f"load average at end: {[f'{x:.2f}' for x in os.getloadavg()]}")
    print(line("GET /healthz", floor))
    print(line("/advise ack, idle", idle))
    print(line("/advise ack, back-to-back", busy))
    print(f"Slack Web API calls: {FakeSlack.calls} for {5 + 2 * args.commands} commands (2 each expected)")


if __name__ == "__main__":
    main()
