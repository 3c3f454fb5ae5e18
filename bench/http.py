"""Throughput and latency of POST /v1/advice next to GET /healthz, on the real server, in one run.

Run: .venv/bin/python bench/http.py [--cold] [--seconds S] [--requests N] [--connections C]

Starts `uvicorn service.main:create_app --factory` with one worker on a free 127.0.0.1 port and
a fresh SQLite file in a temp dir, then drives each endpoint with C keep-alive connections for
S seconds or N requests, whichever comes first, in alternating slices so that background load
hits both alike. The advice bodies cycle through the 12 public scenario profiles; with --cold
each body also gets its own requests_per_day, so the engine's counterfactual cache misses every
time. The client is a minimal asyncio HTTP/1.1 loop on uvloop (wrk is not installed) so it takes
as little of the second core as it can. Prints req/s, p50/p99, the CPU each process used, the
advice/healthz ratio and the issue's goals (advice >= 30% of healthz throughput, p99 <= 10 ms at
8 connections). Not a pass/fail test.
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file is named http.py: with its folder first on sys.path it would shadow the standard
# library's http package for anything imported below.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Coroutine  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

ROOT = HERE.parent
SCENARIOS = ROOT / "tests" / "data" / "scenarios_public.jsonl"
PYTHON = ROOT / ".venv" / "bin" / "python"
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


def advice_maker(port: int, cold: bool) -> Callable[[int], bytes]:
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


async def run(args: argparse.Namespace, port: int, server: subprocess.Popen[bytes]) -> list[Result]:
    await wait_healthy(port, server)
    health = request_bytes("GET", "/healthz", port)
    advice = advice_maker(port, args.cold)
    # Warm both paths (imports, the rule set, the SQLite connection pool) outside the timings;
    # the warm-up uses request numbers past the timed ones so --cold bodies stay new.
    offset = 10 * args.requests
    for payload, expect in ((health, 200), (advice(offset - 1), 201)):
        await preflight(port, payload, expect)
    await drive(Result("warm-up"), port, server.pid, lambda n: health, 200, args.connections, 1.0, 500)
    await drive(Result("warm-up"), port, server.pid, lambda n: advice(offset + n), 201, args.connections, 1.0, 500)
    # Alternate short slices of each endpoint so a change in background load hits both alike.
    plan = ((Result("GET /healthz"), lambda n: health, 200), (Result("POST /v1/advice"), advice, 201))
    for _ in range(args.slices):
        for result, make, expect in plan:
            await drive(result, port, server.pid, make, expect, args.connections, args.seconds / args.slices, args.requests)
    return [result for result, _, _ in plan]


def report(results: list[Result], args: argparse.Namespace) -> None:
    print(f"{args.connections} connections, one uvicorn worker, {'cold' if args.cold else 'warm'} counterfactual cache")
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


def _run_loop(main: Coroutine[Any, Any, list[Result]]) -> list[Result]:
    try:
        import uvloop  # uvicorn's own loop: less client CPU per request than the default loop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cold", action="store_true", help="vary requests_per_day so every advice misses the cache")
    parser.add_argument("--seconds", type=float, default=10.0, help="time limit per endpoint")
    parser.add_argument("--requests", type=int, default=20_000, help="request limit per endpoint")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--slices", type=int, default=5, help="alternating time slices per endpoint")
    args = parser.parse_args()
    args.load = os.getloadavg()[0]
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="advisor-bench-") as data_dir:
        env = {**os.environ, "ADVISOR_DATA_DIR": data_dir, "ADVISOR_LOG_LEVEL": "WARNING"}
        command = [str(PYTHON), "-m", "uvicorn", "service.main:create_app", "--factory", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--workers", "1", "--log-level", "warning"]
        server = subprocess.Popen(command, cwd=ROOT, env=env)
        try:
            results = _run_loop(run(args, port, server))
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    report(results, args)


if __name__ == "__main__":
    main()
