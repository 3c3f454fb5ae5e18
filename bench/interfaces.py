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

Round trips are measured by the client on loopback, so they include the HTTP overhead of every
request: a session of k requests pays it k times. Then the same advice/session pairs once more with
the app called in this process and only the app's own time counted (the server time the goal names).
Prints p50/p99 of each, both session/advice ratios (goal <= 10x) and the ack p99 (goal <= 100 ms).
The fake Slack, the server start and the signed command come from bench/slack_ack.py. Not a pass/fail test.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from http.server import ThreadingHTTPServer  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

from rules.facts import Profile  # noqa: E402
from service.config import Settings  # noqa: E402
from service.main import create_app  # noqa: E402

ROOT = HERE.parent
SCENARIOS = ROOT / "tests" / "data" / "scenarios_public.jsonl"
GOAL_SESSION_RATIO = 10.0
GOAL_ACK_P99_MS = 100.0


def load_slack_bench() -> ModuleType:
    """bench/slack_ack.py under another name: its fake Slack Web API, server start and signed command."""
    spec = importlib.util.spec_from_file_location("bench_slack_ack", HERE / "slack_ack.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_slack_ack"] = module
    spec.loader.exec_module(module)
    return module


SLACK = load_slack_bench()
pct = SLACK.pct


def profiles() -> list[dict[str, Any]]:
    return [json.loads(line)["profile"] for line in SCENARIOS.read_text().splitlines() if line.strip()]


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=60)
    parser.add_argument("--advice", type=int, default=300)
    parser.add_argument("--commands", type=int, default=200)
    args = parser.parse_args()

    fake = ThreadingHTTPServer(("127.0.0.1", 0), SLACK.FakeSlack)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    slack_url = f"http://127.0.0.1:{fake.server_address[1]}/api/"
    with tempfile.TemporaryDirectory() as tmp:
        port = SLACK.free_port()
        server = SLACK.start_server(Path(tmp), port, slack_url)
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
                cases = profiles()
                for profile in cases:  # warm every code path and the engine's caches once
                    one_advice(client, profile)
                    one_session(client, profile)
                if args.commands:
                    SLACK.command(client, -1)
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
                    acks.append(SLACK.command(client, i))
                deadline = time.monotonic() + 60
                while SLACK.FakeSlack.calls < len(acks) and time.monotonic() < deadline:
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
    print(f"Slack Web API calls seen after the acks: {SLACK.FakeSlack.calls}")
    ack_p99 = pct(acks, 0.99)
    print(f"ack p99: {ack_p99:.2f} ms  goal <= {GOAL_ACK_P99_MS:.0f} ms  {'met' if ack_p99 <= GOAL_ACK_P99_MS else 'MISSED'}")


if __name__ == "__main__":
    main()
