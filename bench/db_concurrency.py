"""Which concurrency model for the database-bound hot routes: event loop, thread pool, or asyncio engine.

Run: PYTHONPATH=. .venv/bin/python bench/db_concurrency.py [--seconds 8] [--connections 16] [--repeat 1]
                                                          [--backends postgres,sqlite] [--modes loop,thread,async,v1]

For each backend and mode it serves the app (create_app plus a few /v1/bench routes) with uvicorn, one
worker, on a free loopback port, and drives it with wrk: C keep-alive connections alternating POST advice
and a questionnaire answer (one of 100 open sessions). Each mode is measured twice: alone, and while one
more connection calls, back to back, a route whose query takes 50 ms (PostgreSQL: SELECT pg_sleep(0.05);
SQLite: a sleep_ms() SQL function, since SQLite's own waits such as busy_timeout also wait outside the GIL).
A model that runs blocking database calls on the event loop stalls every other request for those 50 ms.

The modes run the same service code (service.advice.service, service.questionnaire.service):
* loop:   `async def` routes calling the sync session on the event loop (the hot routes before ADR 0006);
* thread: `def` routes, run in Starlette's thread pool, opening the sync session inside (one pool hop);
* thread_dep: the same with the session from the SessionDep dependency (a sync generator: its setup and
          teardown are two more pool hops);
* async:  `async def` routes on SQLAlchemy's asyncio engine (psycopg async; aiosqlite for SQLite), the sync
          service code run through AsyncSession.run_sync (what a port would start from);
* v1:     the shipped POST /v1/advice and /v1/questionnaire answer routes, whatever model they use now.

Prints req/s, p50 and p99 of the hot mix (and non-2xx answers) side by side. PostgreSQL is the local
server at 127.0.0.1:5432, database test, in a fresh schema dropped afterwards. Needs wrk (apt-get install
wrk); the async SQLite rows need aiosqlite and are skipped without it. Not a pass/fail test.
"""

from __future__ import annotations

import sys
from pathlib import Path

# bench/http.py would shadow the standard library's http package with this folder first on sys.path.
HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != HERE]

import argparse  # noqa: E402
import contextlib  # noqa: E402
import datetime as dt  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Iterator  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402
from fastapi import APIRouter, FastAPI, Response  # noqa: E402
from sqlalchemy import event, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from rules.facts import Profile  # noqa: E402
from service.advice import service as advice  # noqa: E402
from service.config import Settings  # noqa: E402
from service.deps import DatabaseDep, SessionDep, TenantDep  # noqa: E402
from service.main import create_app  # noqa: E402
from service.questionnaire import service as questionnaire  # noqa: E402
from service.questionnaire.schemas import AnswerIn, SessionOut  # noqa: E402
from service.store.db import _sqlite_pragmas  # noqa: E402

ROOT = HERE.parent
SCENARIOS = ROOT / "tests" / "data" / "scenarios_public.jsonl"
POSTGRES_ROOT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
TODAY = dt.date(2026, 11, 24)
SLOW_SECONDS = 0.05
SESSIONS = 100
MODES = ("loop", "thread", "thread_dep", "async", "v1")


# --- the server side: the app with bench routes in one concurrency model ---------------------------------


def _sleep_ms(ms: float) -> int:
    time.sleep(ms / 1000)
    return 1


def _add_sleep(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.create_function("sleep_ms", 1, _sleep_ms)


def bench_app(mode: str, url: str, data_dir: Path) -> FastAPI:
    settings = Settings(data_dir=data_dir, database_url=url, log_level="WARNING", auth="off")
    app = create_app(settings, clock=lambda: TODAY)
    sqlite = url.startswith("sqlite")
    slow_sql = text("SELECT sleep_ms(:ms)" if sqlite else "SELECT pg_sleep(:ms / 1000.0)").bindparams(ms=SLOW_SECONDS * 1000)
    if sqlite:
        event.listen(app.state.database.engine, "connect", _add_sleep)
        app.state.database.engine.dispose()  # pooled connections were opened before the function existed
    router = APIRouter(prefix="/v1/bench")

    def as_json(payload: dict[str, Any]) -> Response:
        return Response(json.dumps(payload, separators=(",", ":")), status_code=201, media_type="application/json")

    def make_advice(session: Session, tenant: str, body: Profile) -> dict[str, Any]:
        return advice.create_advice(session, tenant, body, lambda: TODAY)

    def answer(session: Session, tenant: str, session_id: str, body: AnswerIn) -> SessionOut:
        return questionnaire.answer(session, tenant, session_id, body, lambda: TODAY)

    def slow(session: Session) -> int:
        return int(session.execute(slow_sql).scalar() or 0) + 1

    if mode == "loop":

        @router.post("/advice", status_code=201)
        async def loop_advice(body: Profile, database: DatabaseDep, tenant: TenantDep) -> Response:
            with database.session() as session:
                return as_json(make_advice(session, tenant, body))

        @router.post("/answer/{session_id}")
        async def loop_answer(session_id: str, body: AnswerIn, database: DatabaseDep, tenant: TenantDep) -> SessionOut:
            with database.session() as session:
                return answer(session, tenant, session_id, body)

        @router.get("/slow")
        async def loop_slow(database: DatabaseDep) -> int:
            with database.session() as session:
                return slow(session)

    elif mode in ("thread", "v1"):

        @router.post("/advice", status_code=201)
        def thread_advice(body: Profile, database: DatabaseDep, tenant: TenantDep) -> Response:
            with database.session() as session:
                return as_json(make_advice(session, tenant, body))

        @router.post("/answer/{session_id}")
        def thread_answer(session_id: str, body: AnswerIn, database: DatabaseDep, tenant: TenantDep) -> SessionOut:
            with database.session() as session:
                return answer(session, tenant, session_id, body)

        @router.get("/slow")
        def thread_slow(database: DatabaseDep) -> int:
            with database.session() as session:
                return slow(session)

    elif mode == "thread_dep":

        @router.post("/advice", status_code=201)
        def dep_advice(body: Profile, session: SessionDep, tenant: TenantDep) -> Response:
            return as_json(make_advice(session, tenant, body))

        @router.post("/answer/{session_id}")
        def dep_answer(session_id: str, body: AnswerIn, session: SessionDep, tenant: TenantDep) -> SessionOut:
            return answer(session, tenant, session_id, body)

        @router.get("/slow")
        def dep_slow(session: SessionDep) -> int:
            return slow(session)

    elif mode == "async":
        from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

        if sqlite:
            engine = create_async_engine(url.replace("sqlite://", "sqlite+aiosqlite://", 1))
            event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
            event.listen(engine.sync_engine, "connect", _add_sleep)
        else:
            engine = create_async_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)
        sessions = async_sessionmaker(engine, expire_on_commit=False)

        @router.post("/advice", status_code=201)
        async def async_advice(body: Profile, tenant: TenantDep) -> Response:
            async with sessions() as session:
                return as_json(await session.run_sync(make_advice, tenant, body))

        @router.post("/answer/{session_id}")
        async def async_answer(session_id: str, body: AnswerIn, tenant: TenantDep) -> SessionOut:
            async with sessions() as session:
                return await session.run_sync(answer, tenant, session_id, body)

        @router.get("/slow")
        async def async_slow() -> int:
            async with sessions() as session:
                return await session.run_sync(slow)

    else:
        raise SystemExit(f"unknown mode {mode!r}")
    app.include_router(router)
    return app


def serve(mode: str, url: str, data_dir: Path, port: int) -> None:
    import uvicorn

    uvicorn.run(bench_app(mode, url, data_dir), host="127.0.0.1", port=port, log_level="warning", access_log=False)


# --- the driver: databases, server processes, wrk -----------------------------------------------------------


@contextlib.contextmanager
def database(backend: str, folder: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file in ``folder``, or a new PostgreSQL schema dropped afterwards."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    from sqlalchemy import create_engine

    schema = f"bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_ROOT)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{POSTGRES_ROOT}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def server(mode: str, url: str, data_dir: Path) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, str(Path(__file__).resolve()), "serve", mode, url, str(data_dir), str(port)]
    process = subprocess.Popen(command, cwd=ROOT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if process.poll() is not None:
                raise SystemExit(f"the {mode} server exited with {process.returncode}")
            with contextlib.suppress(httpx.HTTPError):
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer /healthz within 90 s")
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


def mix_script(folder: Path, mode: str, sessions: list[str]) -> Path:
    """A wrk Lua script: even requests POST an advice (cycling the public profiles), odd ones answer a session."""
    profiles = [json.loads(line)["profile"] for line in SCENARIOS.read_text(encoding="utf-8").splitlines() if line.strip()]
    advice_path, answer_path = (
        ("/v1/advice", "/v1/questionnaire/sessions/%s/answers")
        if mode == "v1"
        else (
            "/v1/bench/advice",
            "/v1/bench/answer/%s",
        )
    )

    def lua(value: str) -> str:
        return "[==[" + value + "]==]"

    script = f"""
local profiles = {{{", ".join(lua(json.dumps(p)) for p in profiles)}}}
local sessions = {{{", ".join(lua(s) for s in sessions)}}}
local headers = {{["Content-Type"] = "application/json"}}
local n = 0
request = function()
  n = n + 1
  if n % 2 == 0 then
    return wrk.format("POST", {lua(advice_path)}, headers, profiles[(n / 2) % #profiles + 1])
  end
  local path = string.format({lua(answer_path)}, sessions[math.random(#sessions)])
  local body = '{{"question_id":"task","value":"Answer support tickets, variant ' .. (n % 7) .. '"}}'
  return wrk.format("POST", path, headers, body)
end
"""
    path = folder / f"mix-{mode}.lua"
    path.write_text(script, encoding="utf-8")
    return path


def open_sessions(base: str) -> list[str]:
    with httpx.Client(base_url=base, timeout=30) as client:
        ids = []
        for _ in range(SESSIONS):
            created = client.post(
                "/v1/questionnaire/sessions", json={"lang": "en", "answers": {"task": "Answer support tickets"}}
            )
            created.raise_for_status()
            ids.append(created.json()["id"])
        return ids


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(base: str, script: Path, seconds: int, connections: int, slow: bool) -> dict[str, float]:
    """Run wrk on the mix (and, with ``slow``, one more connection on /v1/bench/slow); req/s, p50, p99, errors."""
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), base]
    slow_process = None
    if slow:
        slow_process = subprocess.Popen(
            ["wrk", "-t1", "-c1", f"-d{seconds + 1}s", f"{base}/v1/bench/slow"], stdout=subprocess.PIPE, text=True
        )
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    slow_rate = 0.0
    if slow_process is not None:
        slow_out, _ = slow_process.communicate()
        slow_rate = float(re.search(r"Requests/sec:\s+([\d.]+)", slow_out).group(1))  # type: ignore[union-attr]
    latency = {int(q): _ms(v, u) for q, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", output, re.M)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),  # type: ignore[union-attr]
        "p50": latency[50],
        "p99": latency[99],
        "errors": float(errors.group(1)) if errors else 0.0,
        "slow_rps": slow_rate,
        "socket_errors": 1.0 if socket_errors else 0.0,
    }


def measure(backend: str, mode: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    folder = Path(tempfile.mkdtemp(prefix=f"dbconc-{backend}-{mode}-"))
    rows: list[dict[str, Any]] = []
    try:
        with database(backend, folder) as url, server(mode, url, folder / "data") as base:
            script = mix_script(folder, mode, open_sessions(base))
            wrk(base, script, 2, args.connections, slow=False)  # warm-up: imports, caches, pool
            for slow in (False, True):
                rows.append(
                    {"backend": backend, "mode": mode, "slow": slow} | wrk(base, script, args.seconds, args.connections, slow)
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return rows


def report(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(
        f"\n{args.connections} connections, {args.seconds} s per run, mix = POST advice + questionnaire answer; "
        f"'+slow' = one more connection looping a {SLOW_SECONDS * 1000:.0f} ms query"
    )
    head = f"{'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}"
    print(f"{'backend':<9} {'mode':<10} {head} | {'+slow req/s':>11} {'p50 ms':>8} {'p99 ms':>8} {'slow/s':>7}  errors")
    keyed: dict[tuple[str, str, bool], list[dict[str, Any]]] = {}
    for row in rows:
        keyed.setdefault((row["backend"], row["mode"], row["slow"]), []).append(row)

    def median(runs: list[dict[str, Any]], field: str) -> float:
        values = sorted(run[field] for run in runs)
        return float(values[len(values) // 2])

    for backend in args.backends:
        for mode in args.modes:
            calm, slow = keyed.get((backend, mode, False)), keyed.get((backend, mode, True))
            if not calm or not slow:
                continue
            errors = sum(run["errors"] for run in calm + slow)
            print(
                f"{backend:<9} {mode:<10} {median(calm, 'rps'):>8.0f} {median(calm, 'p50'):>8.1f} {median(calm, 'p99'):>8.1f} | "
                f"{median(slow, 'rps'):>11.0f} {median(slow, 'p50'):>8.1f} {median(slow, 'p99'):>8.1f} "
                f"{median(slow, 'slow_rps'):>7.1f}  {errors:.0f}"
            )
    if args.repeat > 1:
        print(f"(medians of {args.repeat} runs, interleaved by mode)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--backends", default="postgres,sqlite")
    parser.add_argument("--modes", default=",".join(MODES))
    args = parser.parse_args()
    args.backends = [b for b in args.backends.split(",") if b]
    args.modes = [m for m in args.modes.split(",") if m]
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install -y wrk")
    rows: list[dict[str, Any]] = []
    for _ in range(args.repeat):
        for backend in args.backends:
            for mode in args.modes:
                if mode == "async" and backend == "sqlite" and importlib.util.find_spec("aiosqlite") is None:
                    print("skipping async on sqlite: aiosqlite is not installed", file=sys.stderr)
                    continue
                print(f"measuring {backend} {mode} ...", file=sys.stderr, flush=True)
                rows += measure(backend, mode, args)
    report(rows, args)


if __name__ == "__main__":
    if len(sys.argv) == 6 and sys.argv[1] == "serve":
        serve(sys.argv[2], sys.argv[3], Path(sys.argv[4]), int(sys.argv[5]))
    else:
        main()
