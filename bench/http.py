"""Throughput and latency of POST /v1/advice next to GET /healthz, on the real server, in one run.

Run: .venv/bin/python bench/http.py [--cold | --varied] [--seconds S] [--requests N] [--connections C] [--against GIT-REF]
     [--python PATH]

Starts `uvicorn service.main:create_app --factory` with one worker on a free 127.0.0.1 port and
a fresh SQLite file in a temp dir, then drives each endpoint with C keep-alive connections for
S seconds or N requests, whichever comes first, in alternating slices so that background load
hits both alike. The advice bodies cycle through the 12 public scenario profiles; with --cold
each body also gets its own requests_per_day, so the engine's counterfactual cache misses every
time. With --varied each body is a profile made like the varied cases of tests/rules/cold_cases.py
(every provider and model, values around every threshold, fields left out): what teams that never
asked send, and what no kept result of another profile covers (the client makes each, ~20 us).
The client is a minimal asyncio HTTP/1.1 loop on uvloop (wrk is not installed) so it takes
as little of the second core as it can. Prints req/s, p50/p99, the CPU each process used, the
advice/healthz ratio and the issue's goals (advice >= 30% of healthz throughput, p99 <= 10 ms at
8 connections). Not a pass/fail test.

--against REF also serves the code of another commit (its tree exported with git archive to a temporary directory,
first on the server's PYTHONPATH) on a second port, and alternates the slices between the two servers, so both
see the same background load; the last table sets the two side by side. --python PATH does the same with this tree
served by another interpreter (a virtual environment's python that has the project's dependencies installed), to
compare CPython builds (ADR 0039).
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named http.py: with its folder first on sys.path it would shadow the standard
# library's http package for anything imported below.
HERE = Path(__file__).resolve().parent
sys.path[:] = [str(HERE.parent), *(p for p in sys.path if Path(p or ".").resolve() != HERE)]  # the repository, for bench.decide

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Coroutine, Iterable, Iterator  # noqa: E402
from contextlib import contextmanager  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any, TypeVar  # noqa: E402

T = TypeVar("T")

ROOT = HERE.parent
SCENARIOS = ROOT / "tests" / "data" / "scenarios_public.jsonl"
GOAL_RATIO = 0.30
GOAL_P99_MS = 10.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Result:
    """Everything measured for one endpoint, summed over its time slices."""

    name: str
    latencies_ns: list[int] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    sent: int = 0
    seconds: float = 0.0
    server_cpu_seconds: float = 0.0
    client_cpu_seconds: float = 0.0

    @property
    def server_cpu(self) -> float:
        return self.server_cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_request(self) -> float:
        """Server CPU per answered request: less sensitive to other processes than req/s."""
        return self.server_cpu_seconds * 1e3 / len(self.latencies_ns) if self.latencies_ns else float("nan")

    @property
    def client_cpu(self) -> float:
        return self.client_cpu_seconds / self.seconds if self.seconds else 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies_ns) / self.seconds if self.seconds else 0.0

    def percentile_ms(self, q: float) -> float:
        ordered = sorted(self.latencies_ns)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] / 1e6 if ordered else float("nan")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def load_profiles() -> list[dict[str, Any]]:
    lines = SCENARIOS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["profile"] for line in lines if line.strip()]


def request_bytes(method: str, path: str, port: int, body: bytes = b"") -> bytes:
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: keep-alive\r\n"
    if body:
        head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
    return head.encode() + b"\r\n" + body


async def exchange(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, payload: bytes) -> tuple[int, bytes]:
    """Send one request on a kept-alive connection and read the whole response: (status, body)."""
    writer.write(payload)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
            break
    if length is None:
        raise RuntimeError("response without Content-Length; this client does not read chunked bodies")
    return status, await reader.readexactly(length)


def server_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def drive(
    result: Result, port: int, pid: int, make: Callable[[int], bytes], expect: int, connections: int, seconds: float, limit: int
) -> Result:
    """``connections`` workers send ``make(n)`` back to back until ``seconds`` pass or ``result`` holds ``limit`` requests."""
    deadline = time.monotonic() + seconds

    async def worker() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while result.sent < limit and time.monotonic() < deadline:
                payload = make(result.sent)
                result.sent += 1
                start = time.perf_counter_ns()
                try:
                    status, _ = await exchange(reader, writer, payload)
                except (OSError, asyncio.IncompleteReadError):
                    status = 0
                if status == expect:
                    result.latencies_ns.append(time.perf_counter_ns() - start)
                    continue
                # A failed request may leave the connection closed: count it and open a new one.
                label = f"HTTP {status}" if status else "connection lost"
                result.errors[label] = result.errors.get(label, 0) + 1
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
        finally:
            writer.close()

    server0, client0, wall0 = server_cpu_seconds(pid), client_cpu_seconds(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    result.seconds += time.perf_counter() - wall0
    result.server_cpu_seconds += server_cpu_seconds(pid) - server0
    result.client_cpu_seconds += client_cpu_seconds() - client0
    return result


async def wait_healthy(port: int, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} before answering /healthz")
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        try:
            status, _ = await exchange(reader, writer, request_bytes("GET", "/healthz", port))
            if status == 200:
                return
        finally:
            writer.close()
        await asyncio.sleep(0.1)
    raise RuntimeError(f"/healthz did not answer 200 within {timeout:.0f} s")


async def preflight(port: int, payload: bytes, expect: int) -> None:
    """One request before any timing: a broken endpoint stops the run with its answer, not with numbers."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        status, body = await exchange(reader, writer, payload)
    finally:
        writer.close()
    if status != expect:
        request_line = payload.split(b"\r\n", 1)[0].decode()
        raise SystemExit(
            f"{request_line} answered {status}, not {expect}; nothing measured:\n{body[:2000].decode(errors='replace')}"
        )


def advice_maker(port: int, cold: bool, varied: bool = False) -> Callable[[int], bytes]:
    if varied:
        from tests.rules.cold_cases import case

        # Body n is the same for every server (its own seed), and a warm-up number never repeats a timed one's.
        return lambda n: request_bytes("POST", "/v1/advice", port, json.dumps(case(random.Random(n), n)["profile"]).encode())
    profiles = load_profiles()
    if not cold:
        ready = [request_bytes("POST", "/v1/advice", port, json.dumps(p).encode()) for p in profiles]
        return lambda n: ready[n % len(ready)]

    def make(n: int) -> bytes:
        # (profile, round) pairs are unique, so no two bodies share a counterfactual cache key.
        profile = profiles[n % len(profiles)]
        varied = {**profile, "requests_per_day": profile["requests_per_day"] + 1 + n // len(profiles)}
        return request_bytes("POST", "/v1/advice", port, json.dumps(varied).encode())

    return make


@dataclass
class Server:
    """One uvicorn process serving one tree's code."""

    name: str
    port: int
    process: subprocess.Popen[bytes]


Plan = tuple[tuple[Result, Callable[[int], bytes], int], ...]


async def prepare(args: argparse.Namespace, server: Server) -> Plan:
    """Wait for ``server``, warm it up, and return what to time on it: (result, request maker, expected status)."""
    await wait_healthy(server.port, server.process)
    health = request_bytes("GET", "/healthz", server.port)
    advice = advice_maker(server.port, args.cold, args.varied)
    # Warm both paths (imports, the rule set, the SQLite connection pool) outside the timings;
    # the warm-up uses request numbers past the timed ones so --cold bodies stay new.
    offset = 10 * args.requests
    for payload, expect in ((health, 200), (advice(offset - 1), 201)):
        await preflight(server.port, payload, expect)
    pid = server.process.pid
    await drive(Result("warm-up"), server.port, pid, lambda n: health, 200, args.connections, 1.0, 500)
    await drive(Result("warm-up"), server.port, pid, lambda n: advice(offset + n), 201, args.connections, 1.0, 500)
    return (Result("GET /healthz"), lambda n: health, 200), (Result("POST /v1/advice"), advice, 201)


def scraped(exposition: str, names: Iterable[str]) -> dict[str, float]:
    """The values of the samples named (with their labels, as Prometheus' text format writes them) in ``exposition``."""
    wanted = set(names)
    found = {}
    for line in exposition.splitlines():
        name, _, value = line.rpartition(" ")
        if name in wanted:
            found[name] = float(value)
    return found


async def rows_per_transaction(port: int) -> str:
    """How many advice rows the server committed per SQLite transaction on its event loop (ADR 0038), from /metrics;
    "not counted" for a tree without the counter."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        status, body = await exchange(reader, writer, request_bytes("GET", "/metrics", port))
    finally:
        writer.close()
    committed, per = 'advisor_loop_inserts_total{outcome="committed"}', "advisor_loop_insert_transactions_total"
    found = scraped(body.decode() if status == 200 else "", (committed, per))
    if not found.get(per):
        return "not counted"
    rows, transactions = found.get(committed, 0.0), found[per]
    return f"{rows / transactions:.2f} ({rows:.0f} rows in {transactions:.0f} transactions, warm-up included)"


async def run(args: argparse.Namespace, servers: list[Server]) -> dict[str, list[Result]]:
    plans = {server.name: await prepare(args, server) for server in servers}
    # Alternate short slices of each endpoint (and each server) so a change in background load hits all alike.
    for _ in range(args.slices):
        for server in servers:
            for result, make, expect in plans[server.name]:
                seconds = args.seconds / args.slices
                await drive(result, server.port, server.process.pid, make, expect, args.connections, seconds, args.requests)
    for server in servers:
        print(f"{server.name}: advice rows per SQLite transaction on the loop: {await rows_per_transaction(server.port)}")
    return {name: [result for result, _, _ in plan] for name, plan in plans.items()}


def report(results: list[Result], args: argparse.Namespace) -> None:
    kind = "varied never-seen profiles" if args.varied else "cold" if args.cold else "warm"
    print(f"{args.connections} connections, one uvicorn worker, {kind} counterfactual cache")
    print(f"load average before the run: {args.load:.2f} on {os.cpu_count()} cores (other processes share them)")
    columns = ("requests", "req/s", "p50 ms", "p99 ms", "server CPU", "CPU ms/req", "client CPU")
    print(f"{'':16} " + " ".join(f"{name:>10}" for name in columns) + "  errors")
    for r in results:
        errors = ", ".join(f"{code}: {count}" for code, count in r.errors.items()) or "none"
        print(
            f"{r.name:16} {len(r.latencies_ns):10d} {r.rate:10.0f} {r.percentile_ms(0.50):10.2f} {r.percentile_ms(0.99):10.2f}"
            f" {r.server_cpu:10.0%} {r.cpu_ms_per_request:10.2f} {r.client_cpu:10.0%}  {errors}"
        )
    health, advice = results
    ratio = advice.rate / health.rate
    p99 = advice.percentile_ms(0.99)
    print(f"advice/healthz throughput: {ratio:.2f} (goal >= {GOAL_RATIO:.2f}: {'met' if ratio >= GOAL_RATIO else 'MISSED'})")
    print(f"advice p99: {p99:.2f} ms (goal <= {GOAL_P99_MS:.0f} ms: {'met' if p99 <= GOAL_P99_MS else 'MISSED'})")


def side_by_side(runs: dict[str, list[Result]]) -> None:
    """The figures of two servers measured in alternating slices of one run, and their ratio."""
    (old, (old_health, old_advice)), (new, (new_health, new_advice)) = runs.items()
    rows = (
        ("advice CPU ms/request", old_advice.cpu_ms_per_request, new_advice.cpu_ms_per_request),
        ("advice req/s", old_advice.rate, new_advice.rate),
        ("advice p50 ms", old_advice.percentile_ms(0.50), new_advice.percentile_ms(0.50)),
        ("advice p99 ms", old_advice.percentile_ms(0.99), new_advice.percentile_ms(0.99)),
        ("healthz CPU ms/request", old_health.cpu_ms_per_request, new_health.cpu_ms_per_request),
        ("healthz req/s", old_health.rate, new_health.rate),
        ("advice/healthz throughput", old_advice.rate / old_health.rate, new_advice.rate / new_health.rate),
    )
    print(f"\n{'side by side':28}{old:>14}{new:>14}{'new/old':>9}")
    for label, before, after in rows:
        print(f"{label:28}{before:14.3f}{after:14.3f}{after / before:9.2f}")


def start_server(tree: Path, data_dir: str, python: str = sys.executable) -> tuple[int, subprocess.Popen[bytes]]:
    """uvicorn with one worker serving ``tree``'s code with ``python`` on a free port, its data in ``data_dir``."""
    port = free_port()
    env = {**os.environ, "ADVISOR_DATA_DIR": data_dir, "ADVISOR_LOG_LEVEL": "WARNING", "PYTHONPATH": str(tree)}
    command = [python, "-m", "uvicorn", "service.main:create_app", "--factory", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--workers", "1", "--log-level", "warning"]
    command += ["--no-proxy-headers"]  # as `advisor serve`: the app reads forwarded addresses itself (service/auth/gate.py)
    return port, subprocess.Popen(command, cwd=tree, env=env)


@contextmanager
def served_trees(against: str | None, python: str | None = None) -> Iterator[list[Server]]:
    """This tree's server, and with ``against`` that commit's (its tree exported with git archive) first, or with
    ``python`` this tree served by that interpreter first, each on a fresh data dir of its own; stopped when the block
    ends."""
    with tempfile.TemporaryDirectory(prefix="advisor-bench-") as scratch:
        trees = {"this tree": (ROOT, sys.executable)}
        if against:
            from bench.decide import export

            trees = {against: (export(against, Path(scratch) / "tree"), sys.executable), **trees}
        if python:
            trees = {python: (ROOT, python), **trees}
        servers: list[Server] = []
        try:
            for number, (name, (tree, interpreter)) in enumerate(trees.items()):
                data_dir = Path(scratch) / f"data-{number}"
                data_dir.mkdir()
                servers.append(Server(name, *start_server(tree, str(data_dir), interpreter)))
            yield servers
        finally:
            for server in servers:
                server.process.terminate()
                try:
                    server.process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.process.kill()
                    server.process.wait()


def _run_loop(main: Coroutine[Any, Any, T]) -> T:
    try:
        import uvloop  # uvicorn's own loop: less client CPU per request than the default loop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold", action="store_true", help="vary requests_per_day so every advice misses the cache")
    parser.add_argument("--varied", action="store_true", help="never-seen profiles varied in every field (implies --cold)")
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit per endpoint")
    parser.add_argument("--requests", type=int, default=20_000, help="request limit per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--slices", type=int, default=5, help="alternating time slices per endpoint")
    parser.add_argument("--against", metavar="REF", help="also serve this git commit's code, in alternating slices")
    parser.add_argument(
        "--python",
        metavar="PATH",
        help="also serve this tree with another interpreter (a venv's python with the project's dependencies), in "
        "alternating slices",
    )
    args = parser.parse_args()
    args.load = os.getloadavg()[0]
    with served_trees(args.against, args.python) as servers:
        runs = _run_loop(run(args, servers))
    for name, results in runs.items():
        if len(runs) > 1:
            print(f"\n== {name}")
        report(results, args)
    if len(runs) > 1:
        side_by_side(runs)


if __name__ == "__main__":
    main()
