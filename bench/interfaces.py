"""Where people meet the advisor: a questionnaire session next to one POST /v1/advice, and Slack's ack.

Run: .venv/bin/python bench/interfaces.py [--sessions N] [--advice N] [--commands N]

Starts the real server (`uvicorn service.main:create_app --factory`, one process, fresh SQLite in a
temp dir, Slack on with a signing secret and one workspace) and a fake Slack Web API on loopback.
Then, in one run (advice and sessions interleaved, so background load hits both alike):

* advice: POST /v1/advice with a public scenario profile (warm: the profiles repeat);
* session: a whole questionnaire session, answering whatever is asked from the same profiles,
  timed as the sum of its requests' round trips (create + every answer until the verdict);
* slack (after the other two): signed `/advise` slash commands, timed until the acknowledgement
  arrives (the advice itself is built after the ack, and posted to the fake Slack API).

Prints p50/p99 of each, the session/advice ratio (goal <= 10x) and the ack p99 (goal <= 100 ms).
Round trips are measured by the client on loopback, so they include the HTTP overhead of every
request: a session of k requests pays it k times. Not a pass/fail test.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import hashlib  # noqa: E402
import hmac  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import urllib.parse  # noqa: E402
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

from rules.facts import Profile  # noqa: E402
from service.config import Settings  # noqa: E402
from service.main import create_app  # noqa: E402

ROOT = HERE.parent
SCENARIOS = ROOT / "tests" / "data" / "scenarios_public.jsonl"
PYTHON = ROOT / ".venv" / "bin" / "python"
SECRET = "bench-signing-secret"
TEAM = "TBENCH"
GOAL_SESSION_RATIO = 10.0
GOAL_ACK_P99_MS = 100.0


class FakeSlack(BaseHTTPRequestHandler):
    """Answers every Web API method with ok; counts the calls."""

    calls = 0
    lock = threading.Lock()

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        with FakeSlack.lock:
            FakeSlack.calls += 1
        body = json.dumps({"ok": True, "ts": f"{time.time():.6f}", "channel": "C1"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def profiles() -> list[dict[str, Any]]:
    return [json.loads(line)["profile"] for line in SCENARIOS.read_text().splitlines() if line.strip()]


def start_server(data_dir: Path, port: int, slack_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ADVISOR_DATA_DIR": str(data_dir),
        "ADVISOR_LOG_LEVEL": "WARNING",
        "ADVISOR_SLACK_SIGNING_SECRET": SECRET,
        "ADVISOR_SLACK_WORKSPACES": json.dumps({TEAM: {"bot_token": "xoxb-bench", "tenant": "bench"}}),
        "ADVISOR_SLACK_API_URL": slack_url,
        "ADVISOR_RATE_LIMIT_PER_MINUTE": "0",
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


def timed(call: Any) -> tuple[float, httpx.Response]:
    start = time.perf_counter()
    response = call()
    return time.perf_counter() - start, response


def one_advice(client: httpx.Client, profile: dict[str, Any]) -> float:
    seconds, response = timed(lambda: client.post("/v1/advice", json={"profile": profile}))
    if response.status_code != 201:
        raise SystemExit(f"advice failed: {response.status_code} {response.text[:300]}")
    return seconds


def one_session(client: httpx.Client, profile: dict[str, Any]) -> tuple[float, int]:
    """The summed round trips of a whole session, and how many questions it asked."""
    total, response = timed(lambda: client.post("/v1/questionnaire/sessions", json={"lang": "en"}))
    session = response.json()
    asked = 0
    while session["status"] != "done":
        question = session["question"]["id"]
        value = profile.get(question, session["question"].get("default"))
        body = {"question_id": question, "value": value}
        url = f"/v1/questionnaire/sessions/{session['id']}/answers"
        seconds, response = timed(lambda u=url, b=body: client.post(u, json=b))
        if response.status_code != 200:
            raise SystemExit(f"answer failed: {response.status_code} {response.text[:300]}")
        total += seconds
        asked += 1
        session = response.json()
    return total, asked


def signed(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    digest = hmac.new(SECRET.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": stamp,
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/x-www-form-urlencoded",
    }


def one_ack(client: httpx.Client, number: int, text: str) -> float:
    form = {
        "token": "unused",
        "team_id": TEAM,
        "channel_id": "C1",
        "user_id": "U1",
        "command": "/advise",
        "text": text,
        "response_url": "http://127.0.0.1:9/unused",
        "trigger_id": f"bench.{number}.{time.time_ns()}",
    }
    body = urllib.parse.urlencode(form).encode()
    seconds, response = timed(lambda: client.post("/slack/events", content=body, headers=signed(body)))
    if response.status_code != 200:
        raise SystemExit(f"slack ack failed: {response.status_code} {response.text[:300]}")
    return seconds


async def server_side(cases: list[dict[str, Any]], rounds: int) -> tuple[list[float], list[float]]:
    """Server time only: the app called in this process, each request timed from the ASGI call to its end.

    No sockets and no client parsing: a session's figure is the sum of the time the app spent on each of
    its requests, the same clock as one advice's.
    """
    spent: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app(Settings(data_dir=Path(tmp), log_level="WARNING"))

        async def timed_app(scope: Any, receive: Any, send: Any) -> None:
            start = time.perf_counter()
            await app(scope, receive, send)
            spent.append(time.perf_counter() - start)

        transport = httpx.ASGITransport(app=timed_app)
        advice: list[float] = []
        sessions: list[float] = []
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://app") as client:
            for i in range(rounds + len(cases)):  # the first pass over the profiles warms up
                profile = cases[i % len(cases)]
                spent.clear()
                assert (await client.post("/v1/advice", json={"profile": profile})).status_code == 201
                one = spent[-1]
                spent.clear()
                session = (await client.post("/v1/questionnaire/sessions", json={"lang": "en"})).json()
                while session["status"] != "done":
                    question = session["question"]["id"]
                    body = {"question_id": question, "value": profile.get(question, session["question"].get("default"))}
                    session = (await client.post(f"/v1/questionnaire/sessions/{session['id']}/answers", json=body)).json()
                if i >= len(cases):
                    advice.append(one)
                    sessions.append(sum(spent))
        app.state.database.dispose()
    return advice, sessions


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--advice", type=int, default=300)
    parser.add_argument("--commands", type=int, default=200)
    args = parser.parse_args()

    fake = ThreadingHTTPServer(("127.0.0.1", 0), FakeSlack)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    slack_url = f"http://127.0.0.1:{fake.server_address[1]}/api/"
    texts = [
        "We have about 2,000 labelled tickets, the docs change every week, output must be JSON",
        "Classify support emails into 12 categories; we have 5000 reviewed examples and prompting was not enough",
        "יש לנו כ-500 דוגמאות, המסמכים מתעדכנים כל שבוע והתשובה חייבת להיות JSON",
    ]
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        server = start_server(Path(tmp), port, slack_url)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                cases = profiles()
                for profile in cases:  # warm every code path and the engine's caches once
                    one_advice(client, profile)
                    one_session(client, profile)
                if args.commands:
                    one_ack(client, -1, texts[0])
                advice: list[float] = []
                sessions: list[float] = []
                questions: list[int] = []
                acks: list[float] = []
                # Advice and sessions interleaved; the Slack acks after, so that the advice Slack builds
                # in the background does not land on the advice or session timings.
                for i in range(max(args.advice, args.sessions)):
                    profile = cases[i % len(cases)]
                    if i < args.advice:
                        advice.append(one_advice(client, profile))
                    if i < args.sessions:
                        seconds, asked = one_session(client, profile)
                        sessions.append(seconds)
                        questions.append(asked)
                for i in range(args.commands):
                    acks.append(one_ack(client, i, texts[i % len(texts)]))
                deadline = time.monotonic() + 60
                while FakeSlack.calls < len(acks) and time.monotonic() < deadline:
                    time.sleep(0.1)
        finally:
            server.terminate()
            server.wait(timeout=20)
            fake.shutdown()

    advice_p50 = pct(advice, 0.5)
    session_p50 = pct(sessions, 0.5)
    fields = len(Profile.model_fields)
    print(f"load average at end: {Path('/proc/loadavg').read_text().split()[:3]}")
    print(f"POST /v1/advice          n={len(advice):4d}  p50 {advice_p50:7.2f} ms  p99 {pct(advice, 0.99):7.2f} ms")
    print(
        f"questionnaire session    n={len(sessions):4d}  p50 {session_p50:7.2f} ms  p99 {pct(sessions, 0.99):7.2f} ms"
        f"  questions asked: mean {statistics.mean(questions):.1f} (profiles have {fields} fields)"
    )
    ratio = session_p50 / advice_p50
    verdict = "met" if ratio <= GOAL_SESSION_RATIO else "MISSED"
    print(f"session / advice (p50): {ratio:.2f}x  goal <= {GOAL_SESSION_RATIO:.0f}x  {verdict}")
    inner_advice, inner_sessions = asyncio.run(server_side(profiles(), args.sessions))
    inner = pct(inner_sessions, 0.5) / pct(inner_advice, 0.5)
    print(
        f"server time only (in-process ASGI): advice p50 {pct(inner_advice, 0.5):.2f} ms, "
        f"session p50 {pct(inner_sessions, 0.5):.2f} ms, ratio {inner:.2f}x  goal <= {GOAL_SESSION_RATIO:.0f}x  "
        f"{'met' if inner <= GOAL_SESSION_RATIO else 'MISSED'}"
    )
    if not acks:
        return
    print(f"slack /advise ack        n={len(acks):4d}  p50 {pct(acks, 0.5):7.2f} ms  p99 {pct(acks, 0.99):7.2f} ms")
    print(f"Slack Web API calls seen after the acks: {FakeSlack.calls}")
    ack_p99 = pct(acks, 0.99)
    print(f"ack p99: {ack_p99:.2f} ms  goal <= {GOAL_ACK_P99_MS:.0f} ms  {'met' if ack_p99 <= GOAL_ACK_P99_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
