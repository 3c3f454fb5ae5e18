"""Questionnaire answers beside new advice, on the real server: what each waits for when both write to SQLite.

Run: .venv/bin/python bench/answers.py [--seconds 20] [--connections 8] [--slices 5] [--against GIT-REF]

Serves the app (bench/http.py's server: uvicorn, one worker, a fresh SQLite file) and drives it with C keep-alive
connections, each alternating a never-seen POST /v1/advice (the 12 public profiles with new traffic) and the next
request of its own questionnaire session (create, then answers drawn from a seeded generator until the session is
done and stores its advice, then a new session). Both routes write to SQLite, which has one write lock for the whole
database: a request that holds it while it computes makes every other writer sleep in SQLite's busy handler
(1, 2, 5, 10 ... 100 ms). Prints per route: answered requests, p50, p99 and max, and the server's CPU per request over
the mix. With --against REF, that commit's code is served beside this tree's and the slices alternate between the two,
so both see the same background load; the last table sets them side by side. Not a pass/fail test.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py would shadow the standard library's http package from this folder.
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent), *(p for p in sys.path if Path(p or ".").resolve() != HERE)]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import time  # noqa: E402
from collections import defaultdict  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

from bench.http import Server, _run_loop, exchange, load_profiles, request_bytes, served_trees, server_cpu_seconds, wait_healthy  # noqa: E402

ADVICE, CREATE, ANSWER = "POST /v1/advice", "POST /v1/questionnaire/sessions", "POST .../answers"
SESSIONS = "/v1/questionnaire/sessions"


@dataclass
class Tally:
    """One server's figures, summed over its slices."""

    latencies_ns: dict[str, list[int]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    server_cpu_seconds: float = 0.0
    sessions_done: int = 0

    def percentile_ms(self, route: str, q: float) -> float:
        ordered = sorted(self.latencies_ns[route])
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6 if ordered else float("nan")

    @property
    def answered(self) -> int:
        return sum(len(found) for found in self.latencies_ns.values())

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu_seconds * 1e3 / self.answered if self.answered else float("nan")


def choose(question: dict[str, Any], rng: random.Random) -> Any:
    """An answer to ``question`` as a user might give it (bench/load.py's choices)."""
    if question.get("choices"):
        return rng.choice(question["choices"])["value"]
    if question["type"] == "yes_no":
        return rng.random() < 0.5
    if question["type"] == "number":
        return (question.get("minimum") or 0) + rng.choice([0, 50, 800, 3000])
    if question.get("optional"):
        return question.get("default")
    return "Answer support tickets in our tone with product facts that change weekly"


class Client:
    """One connection's loop: a new advice, then its session's next request, and again."""

    def __init__(self, server: Server, tally: Tally, seed: int, serial: list[int]) -> None:
        self.server, self.tally, self.rng, self.serial = server, tally, random.Random(seed), serial
        self.profiles = load_profiles()
        self.session: dict[str, Any] | None = None

    async def call(self, streams: Any, route: str, path: str, body: dict[str, Any], expect: int) -> dict[str, Any] | None:
        reader, writer = streams
        payload = request_bytes("POST", path, self.server.port, json.dumps(body).encode())
        start = time.perf_counter_ns()
        status, answer = await exchange(reader, writer, payload)
        if status != expect:
            self.tally.errors[f"{route}: HTTP {status}"] += 1
            return None
        self.tally.latencies_ns[route].append(time.perf_counter_ns() - start)
        return dict(json.loads(answer))

    async def advice(self, streams: Any) -> None:
        self.serial[0] += 1
        profile = self.profiles[self.serial[0] % len(self.profiles)]
        body = {**profile, "requests_per_day": profile["requests_per_day"] + 1_000_000 + self.serial[0]}
        await self.call(streams, ADVICE, "/v1/advice", body, 201)

    async def questionnaire(self, streams: Any) -> None:
        if self.session is None or self.session["status"] == "done" or self.session.get("question") is None:
            if self.session is not None and self.session.get("advice") is not None:
                self.tally.sessions_done += 1
            self.session = await self.call(streams, CREATE, SESSIONS, {}, 201)
            return
        question = self.session["question"]
        body = {"question_id": question["id"], "value": choose(question, self.rng)}
        self.session = await self.call(streams, ANSWER, f"{SESSIONS}/{self.session['id']}/answers", body, 200)

    async def run(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        streams = await asyncio.open_connection("127.0.0.1", self.server.port)
        try:
            while time.monotonic() < deadline:
                await self.advice(streams)
                await self.questionnaire(streams)
        finally:
            streams[1].close()


async def run(args: argparse.Namespace, servers: list[Server]) -> dict[str, Tally]:
    tallies = {server.name: Tally() for server in servers}
    serial = [0]  # advice bodies never repeat, across servers and slices
    for server in servers:
        await wait_healthy(server.port, server.process)
        await Client(server, Tally(), -1, serial).run(1.0)  # warm-up: imports, the rule set, the connection pool
    for round_ in range(args.slices):
        for server in servers:
            tally = tallies[server.name]
            clients = [Client(server, tally, round_ * 1000 + n, serial) for n in range(args.connections)]
            cpu = server_cpu_seconds(server.process.pid)
            await asyncio.gather(*(client.run(args.seconds / args.slices) for client in clients))
            tally.server_cpu_seconds += server_cpu_seconds(server.process.pid) - cpu
    return tallies


def report(name: str, tally: Tally) -> None:
    print(f"\n{name}: {tally.answered} answered, {tally.cpu_ms_per_request:.2f} ms server CPU per request over the mix,")
    print(f"{tally.sessions_done} sessions done; errors: {dict(tally.errors) or 'none'}")
    print(f"{'route':22}{'count':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}")
    for route in (ADVICE, CREATE, ANSWER):
        found = tally.latencies_ns[route]
        worst = max(found) / 1e6 if found else float("nan")
        p50, p99 = tally.percentile_ms(route, 0.5), tally.percentile_ms(route, 0.99)
        print(f"{route:22}{len(found):8d}{p50:9.2f}{p99:9.2f}{worst:9.2f}")


def side_by_side(tallies: dict[str, Tally]) -> None:
    (old, before), (new, after) = tallies.items()
    rows = [("CPU ms/request (mix)", before.cpu_ms_per_request, after.cpu_ms_per_request)]
    for route in (ADVICE, ANSWER):
        rows += [(f"{route} p{q}", before.percentile_ms(route, q / 100), after.percentile_ms(route, q / 100)) for q in (50, 99)]
    print(f"\n{'side by side':28}{old:>14}{new:>14}{'new/old':>9}")
    for label, was, now in rows:
        print(f"{label:28}{was:14.3f}{now:14.3f}{now / was:9.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="time per server, split into --slices")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--slices", type=int, default=5)
    parser.add_argument("--against", metavar="REF", help="also serve this git commit's code, in alternating slices")
    args = parser.parse_args()
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    with served_trees(args.against) as servers:
        tallies = _run_loop(run(args, servers))  # type: ignore[arg-type]
    for name, tally in tallies.items():
        report(name, tally)
    if len(tallies) == 2:
        side_by_side(tallies)


if __name__ == "__main__":
    main()
