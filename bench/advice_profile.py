"""Where the server's CPU goes on POST /v1/advice: the real app, called in process through ASGI, no sockets.

Run: .venv/bin/python bench/advice_profile.py [--cold | --warm | --varied] [--requests N] [--profile] [--top K] [--dump FILE]

Builds the app as ``advisor serve`` does (``create_app`` on a temporary SQLite data dir, its lifespan run), then sends
N ``POST /v1/advice`` bodies built like bench/http.py's (the 12 public profiles; ``--cold`` varies requests_per_day so
every body is new; ``--varied`` sends profiles new in every field, bench/http.py --varied's). Without ``--profile`` it
prints the process CPU per request (``time.process_time``, the thread pool included) after a warm-up; with
``--profile`` it runs the route's thread-pool calls inline so cProfile sees them and prints the top K functions by
cumulative and by own time. Every response is checked for 201. With ``--callgrind``, under ``valgrind --tool=callgrind
--instr-atstart=no``, only the timed requests are instrumented: instructions per request (the total callgrind prints
divided by N) do not depend on the machine's load. ``--uvloop`` runs the requests on uvloop, the loop the server uses
(asyncio's own by default, as the earlier figures in docs/benchmarks.md were measured). The requests go one at a time:
the rows never share a transaction (ADR 0038). Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
# bench/http.py would shadow the standard library's http package: this folder off sys.path, the repository on it.
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != HERE)]
SCENARIOS = ROOT / "tests" / "data" / "scenarios_public.jsonl"


def load_profiles() -> list[dict[str, Any]]:
    lines = SCENARIOS.read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["profile"] for line in lines if line.strip()]


def bodies(cold: bool, start: int, count: int, varied: bool = False) -> list[bytes]:
    """Request bodies as bench/http.py sends them: with ``cold``, (profile, round) pairs no one sent before; with
    ``varied``, profiles new in every field (bench/http.py --varied's, body n from seed n)."""
    if varied:
        import random

        from tests.rules.cold_cases import case

        return [json.dumps(case(random.Random(n), n)["profile"]).encode() for n in range(start, start + count)]
    profiles = load_profiles()
    found = []
    for n in range(start, start + count):
        profile = profiles[n % len(profiles)]
        if cold:
            profile = {**profile, "requests_per_day": profile["requests_per_day"] + 1 + n // len(profiles)}
        found.append(json.dumps(profile).encode())
    return found


class Client:
    """Plain ASGI calls into the app, as uvicorn makes them (scope, receive, send), without a socket."""

    def __init__(self, app: Any, state: dict[str, Any]) -> None:
        self.app = app
        self.state = state

    async def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        headers = [
            (b"host", b"127.0.0.1:8000"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        scope = {
            "type": "http",
            "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1",
            "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000),
            "scheme": "http",
            "root_path": "",
            "method": "POST",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "headers": headers,
            "state": self.state.copy(),
        }
        sent = False

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if sent:
                await asyncio.sleep(3600)
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        status = 0
        chunks: list[bytes] = []

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, send)
        return status, b"".join(chunks)


def _instrument(state: str) -> None:
    """Switch callgrind's instrumentation of this process on or off (run under ``valgrind --instr-atstart=no``)."""
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], check=True, capture_output=True)


def inline_thread_pool() -> None:
    """Run FastAPI's thread-pool calls on the calling thread, so cProfile (one thread) sees the route."""
    import fastapi.dependencies.utils
    import fastapi.routing

    async def inline(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        return func(*args, **kwargs)

    fastapi.routing.run_in_threadpool = inline  # type: ignore[assignment]
    fastapi.dependencies.utils.run_in_threadpool = inline  # type: ignore[assignment]
    import service.advice.endpoints

    if hasattr(service.advice.endpoints, "run_in_threadpool"):  # the lean route of ADR 0019 calls the pool itself
        service.advice.endpoints.run_in_threadpool = inline  # type: ignore[assignment]


async def run(args: argparse.Namespace) -> None:
    from service.main import create_app

    app = create_app()
    async with app.router.lifespan_context(app) as state:
        client = Client(app, dict(state or {}))
        warm_up = bodies(args.cold, 10 * args.requests, 300, args.varied)
        for body in warm_up:
            status, answer = await client.post("/v1/advice", body)
            assert status == 201, answer[:500]
        timed = bodies(args.cold, 0, args.requests, args.varied) if args.cold else warm_up * (args.requests // len(warm_up) + 1)
        timed = timed[: args.requests]
        if args.freeze:
            gc.freeze()
        profiler = cProfile.Profile() if args.profile else None
        collections: list[float] = []
        started: list[float] = []

        def on_gc(phase: str, info: dict[str, Any]) -> None:
            if info["generation"] != 2:
                return
            if phase == "start":
                started.append(time.thread_time())
            elif started:
                collections.append(time.thread_time() - started.pop())

        gc.callbacks.append(on_gc)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        if profiler is not None:
            profiler.enable()
        if args.callgrind:
            _instrument("on")
        for body in timed:
            status, answer = await client.post("/v1/advice", body)
            if status != 201:
                raise SystemExit(f"POST /v1/advice answered {status}: {answer[:500]!r}")
        if args.callgrind:
            _instrument("off")
        if profiler is not None:
            profiler.disable()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        gc.callbacks.remove(on_gc)
    n = len(timed)
    kind = "varied" if args.varied else "cold" if args.cold else "warm"
    print(f"{n} {kind} POST /v1/advice in process: {cpu * 1e6 / n:.0f} us CPU/request, {wall * 1e6 / n:.0f} us wall/request")
    print(f"full collections: {len(collections)}, {sum(collections) * 1e6 / n:.1f} us per request")
    if profiler is not None:
        stats = pstats.Stats(profiler)
        if args.dump:
            stats.dump_stats(args.dump)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    kind = parser.add_mutually_exclusive_group()
    kind.add_argument("--cold", action="store_true", default=True, help="every body is new (the default)")
    kind.add_argument("--warm", dest="cold", action="store_false", help="cycle through bodies sent before")
    kind.add_argument("--varied", action="store_true", help="every body new in every field (bench/http.py --varied's)")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--profile", action="store_true", help="cProfile the timed requests (the thread pool inlined)")
    parser.add_argument("--freeze", action="store_true", help="gc.freeze() before the timed requests")
    parser.add_argument(
        "--callgrind",
        action="store_true",
        help="instrument only the timed requests: run under valgrind --tool=callgrind --instr-atstart=no",
    )
    parser.add_argument("--top", type=int, default=45)
    parser.add_argument("--dump", help="write the pstats file here")
    parser.add_argument("--uvloop", action="store_true", help="run on uvloop, the server's loop (asyncio's by default)")
    args = parser.parse_args()
    if args.profile:
        inline_thread_pool()
    with tempfile.TemporaryDirectory(prefix="advisor-profile-") as data_dir:
        os.environ["ADVISOR_DATA_DIR"] = data_dir
        os.environ.setdefault("ADVISOR_LOG_LEVEL", "WARNING")
        if args.uvloop:
            import uvloop

            uvloop.run(run(args))
        else:
            asyncio.run(run(args))


if __name__ == "__main__":
    main()
