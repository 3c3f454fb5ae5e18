"""What the request-id/metrics/log middleware costs on POST /v1/advice, side by side in one run.

Run: .venv/bin/python bench/observability.py [--seconds S] [--connections C] [--slices N]

Starts three uvicorn servers (one worker each, own temp SQLite data dir, free loopback ports):
  off      the app with `service.ops.observability.install` replaced by a no-op (no request-id or observer middleware)
  metrics  the real app at log level WARNING: request id, header, histogram; the access line is not emitted
  logged   the real app at the default INFO: the above plus one JSON access line per request, to a file
and drives POST /v1/advice (warm cache, the 12 public scenario profiles) on each in alternating
slices with the client of bench/http.py, so background load hits all three alike. Prints req/s,
p50/p99 and server CPU per request for each, and the differences to `off`. Not a pass/fail test.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]  # bench/http.py shadows http

import argparse  # noqa: E402
import asyncio  # noqa: E402
import importlib.util  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
from types import ModuleType  # noqa: E402
from typing import Any  # noqa: E402


def load_http_bench() -> ModuleType:
    """bench/http.py under another name: its client, timing and reporting helpers."""
    spec = importlib.util.spec_from_file_location("bench_http", HERE / "http.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_http"] = module
    spec.loader.exec_module(module)
    return module


bench = load_http_bench()
# The server of the `off` variant: the real create_app with the observability middlewares not added.
SERVE = (
    "import sys, uvicorn, service.ops.observability as o\n"
    "if sys.argv[2] == 'off':\n"
    "    o.install = lambda app, metrics: None\n"
    "uvicorn.run('service.main:create_app', factory=True, host='127.0.0.1', port=int(sys.argv[1]), log_level='warning')\n"
)
VARIANTS = {"off": "WARNING", "metrics": "WARNING", "logged": "INFO"}


def start(name: str, level: str, port: int, data_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ADVISOR_DATA_DIR": str(data_dir), "ADVISOR_LOG_LEVEL": level, "ADVISOR_LOG_FORMAT": "json"}
    log = (data_dir / "server.log").open("wb")
    return subprocess.Popen([sys.executable, "-c", SERVE, str(port), name], cwd=bench.ROOT, env=env, stderr=log)


async def measure(args: argparse.Namespace, servers: dict[str, tuple[int, subprocess.Popen[bytes]]]) -> dict[str, Any]:
    makers = {}
    for name, (port, server) in servers.items():
        await bench.wait_healthy(port, server)
        makers[name] = bench.advice_maker(port, cold=False)
        await bench.preflight(port, makers[name](0), 201)
        await bench.drive(bench.Result("warm-up"), port, server.pid, makers[name], 201, args.connections, 1.0, 2000)
    results = {name: bench.Result(name) for name in servers}
    order = list(servers.items())
    for turn in range(args.slices):
        # Rotate who goes first: a burst of background load should not always land on the same variant.
        for name, (port, server) in order[turn % len(order) :] + order[: turn % len(order)]:
            slice_seconds = args.seconds / args.slices
            await bench.drive(results[name], port, server.pid, makers[name], 201, args.connections, slice_seconds, 10**9)
    return results


def report(results: dict[str, Any], args: argparse.Namespace) -> None:
    print(f"POST /v1/advice, {args.connections} connections, {args.seconds:.0f} s per variant in {args.slices} slices")
    print(f"load average before the run: {args.load} ({os.cpu_count()} cores, shared with other processes)")
    print(f"{'variant':10} {'requests':>9} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU ms/req':>11}  errors")
    for name, r in results.items():
        errors = ", ".join(f"{k}: {v}" for k, v in r.errors.items()) or "none"
        print(
            f"{name:10} {len(r.latencies_ns):9d} {r.rate:8.0f} {r.percentile_ms(0.5):8.2f} {r.percentile_ms(0.99):8.2f}"
            f" {r.cpu_ms_per_request:11.3f}  {errors}"
        )
    off = results["off"]
    for name in ("metrics", "logged"):
        r = results[name]
        print(
            f"{name} vs off: p50 {r.percentile_ms(0.5) - off.percentile_ms(0.5):+.2f} ms,"
            f" p99 {r.percentile_ms(0.99) - off.percentile_ms(0.99):+.2f} ms,"
            f" CPU/request {(r.cpu_ms_per_request - off.cpu_ms_per_request) * 1e3:+.0f} µs,"
            f" throughput {r.rate / off.rate:.2f}x"
        )


def inprocess(rounds: int = 7, calls: int = 5000) -> dict[str, float]:
    """Median µs per request of a do-nothing ASGI app, bare and wrapped in the request-id and observer middlewares
    (as ``observability.install`` adds them; one since ADR 0007's amendment): their own cost, without HTTP noise."""
    import contextlib
    import statistics
    import time
    from types import SimpleNamespace

    from service.config import Settings
    from service.ops import observability
    from service.store.db import Database

    route = SimpleNamespace(path="/v1/advice")

    async def endpoint(scope: dict[str, Any], receive: Any, send: Any) -> None:
        scope["route"] = route  # what the router does
        await send({"type": "http.response.start", "status": 201, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": b"{}"})

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"{}", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        return None

    headers = [(b"host", b"127.0.0.1"), (b"content-type", b"application/json"), (b"content-length", b"2")]
    with tempfile.TemporaryDirectory() as tmp:
        database = Database(f"sqlite:///{tmp}/bench.db")
        wrapped = observability.RequestObserver(endpoint, observability.Metrics(database))  # type: ignore[arg-type]
        variants = {"bare": (endpoint, "WARNING"), "metrics": (wrapped, "WARNING"), "logged": (wrapped, "INFO")}
        timings: dict[str, list[float]] = {name: [] for name in variants}

        async def run(app: Any) -> float:
            start = time.perf_counter_ns()
            for _ in range(calls):
                await app({"type": "http", "method": "POST", "path": "/v1/advice", "headers": headers}, receive, send)
            return (time.perf_counter_ns() - start) / calls / 1e3

        with open(Path(tmp) / "access.log", "w") as log, contextlib.redirect_stderr(log):
            for _ in range(rounds):
                for name, (app, level) in variants.items():
                    observability.configure_logging(Settings(data_dir=Path(tmp), log_level=level))
                    timings[name].append(asyncio.run(run(app)))
        logging.getLogger().handlers.clear()
        database.dispose()
    return {name: statistics.median(values) for name, values in timings.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=15.0, help="time per variant, split into slices")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--slices", type=int, default=6)
    args = parser.parse_args()
    args.load = Path("/proc/loadavg").read_text().strip()
    with tempfile.TemporaryDirectory(prefix="advisor-obs-bench-") as root:
        servers: dict[str, tuple[int, subprocess.Popen[bytes]]] = {}
        try:
            for name, level in VARIANTS.items():
                data_dir = Path(root) / name
                data_dir.mkdir()
                port = bench.free_port()
                servers[name] = (port, start(name, level, port, data_dir))
            results = bench._run_loop(measure(args, servers))
        finally:
            for _, server in servers.values():
                server.terminate()
                try:
                    server.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    server.kill()
                    server.wait()
        logged_lines = sum(1 for _ in (Path(root) / "logged" / "server.log").open("rb"))
    report(results, args)
    print(f"access lines written by `logged`: {logged_lines}")
    costs = inprocess()
    print("in-process, a do-nothing ASGI app, median of 7 rounds of 5000 calls (µs per request):")
    print(
        f"  bare {costs['bare']:.1f}, wrapped {costs['metrics']:.1f} (+{costs['metrics'] - costs['bare']:.1f}),"
        f" wrapped + JSON access line {costs['logged']:.1f} (+{costs['logged'] - costs['bare']:.1f})"
    )


if __name__ == "__main__":
    main()
