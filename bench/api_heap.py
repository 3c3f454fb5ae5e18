"""What grows in the API process under bench/load.py's mix: the real app in process (ASGI), a real worker beside it.

Run: .venv/bin/python bench/api_heap.py [--rounds 10] [--actions 6000] [--trace-from 5] [--top 25]

Starts the worker (``python -m service.worker``) on a fresh data dir, builds the API with ``create_app`` in this
process and runs its lifespan, then sends bench/load.py's request mix through ``httpx.ASGITransport`` (no sockets):
8 concurrent clients picking by load.py's weights (new advice, GET advice, KB query, grounded prompt, a whole
questionnaire session), beside them a dataset upload every 750 actions and a /metrics scrape every 1,250 (about the
soak's ratios at its ~250 requests/s), and a second ingestion in the middle round. Rounds are counted in actions, not
seconds, so a slower machine sends the same traffic. After each round: RSS, pymalloc's arenas and blocks in use,
glibc's malloc totals (mallinfo2) and, from round --trace-from on, tracemalloc's top growth since the previous round.
The client's own bookkeeping is kept constant-size, so growth is the app's (and the client's httpx, which is small).
Not a pass/fail test.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != HERE)]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import contextlib  # noqa: E402
import ctypes  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import os  # noqa: E402
import random  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import traceback  # noqa: E402
import tracemalloc  # noqa: E402
from collections import Counter  # noqa: E402
from typing import Any  # noqa: E402

import httpx  # noqa: E402

_spec = importlib.util.spec_from_file_location("bench_load", HERE / "load.py")
assert _spec is not None and _spec.loader is not None
load_module = importlib.util.module_from_spec(_spec)
sys.modules["bench_load"] = load_module
_spec.loader.exec_module(load_module)
Load, Stats, KB = load_module.Load, load_module.Stats, load_module.KB
ADVICE_IDS_KEPT = 5000


class FlatStats(Stats):  # type: ignore[misc, valid-type]
    """Counts statuses, keeps no latencies: the client's memory stays flat."""

    def __init__(self) -> None:
        super().__init__()
        self.latencies = _Sink()


class _Sink(dict[str, Any]):
    def __getitem__(self, key: str) -> Any:
        return self

    def append(self, _value: float) -> None:
        pass


class FlatLoad(Load):  # type: ignore[misc, valid-type]
    """bench/load.py's actions, with a bounded list of advice ids to read back."""

    async def advice(self) -> None:
        await super().advice()
        if len(self.advice_ids) > ADVICE_IDS_KEPT:
            self.advice_ids[self.rng.randrange(ADVICE_IDS_KEPT)] = self.advice_ids.pop()


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")
    ]


_LIBC = ctypes.CDLL("libc.so.6")
_LIBC.mallinfo2.restype = _MallInfo2


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def pymalloc() -> tuple[int, int]:
    """(arenas allocated now, bytes in allocated blocks) from sys._debugmallocstats (which writes to fd 2)."""
    fd = os.dup(2)
    with tempfile.TemporaryFile("w+") as out:
        os.dup2(out.fileno(), 2)
        try:
            sys._debugmallocstats()
        finally:
            os.dup2(fd, 2)
            os.close(fd)
        out.seek(0)
        text = out.read()
    found = [re.search(rf"# {what}\s*=\s*([\d,]+)", text) for what in ("arenas allocated current", "bytes in allocated blocks")]
    if not all(found):  # tracemalloc's hooks hide pymalloc's figures
        return -1, -1
    arenas, blocks = (int(match.group(1).replace(",", "")) for match in found if match)
    return arenas, blocks


def _module_caches(packages: tuple[str, ...] = ("rules", "service")) -> list[tuple[str, Any]]:
    """(label, object) of every module-level cache in ``packages``: lru_cache wrappers, private dicts and sets."""
    import functools

    from cachetools import Cache

    found = []
    for name, module in list(sys.modules.items()):
        if module is not None and name.split(".")[0] in packages and "." in name:
            for attr, value in list(vars(module).items()):
                cache = isinstance(value, (dict, set, Cache)) and attr.startswith("_") and not attr.startswith("__")
                if cache or isinstance(value, functools._lru_cache_wrapper):
                    found.append((f"{name.split('.', 1)[1]}.{attr}", value))
    return found


def cache_sizes() -> str:
    """Entries in the process-wide caches, with the dicts (or tuples of dicts) they hold summed as ``[*]``."""
    from rules import context, signature_rules

    sizes: dict[str, int] = {}
    for label, value in _module_caches():
        sizes[label] = value.cache_info().currsize if hasattr(value, "cache_info") else len(value)
        for inner in value.values() if isinstance(value, dict) else ():
            for place, part in enumerate(inner if isinstance(inner, tuple) else (inner,)):
                if isinstance(part, dict):
                    key = f"{label}[*][{place}]"
                    sizes[key] = sizes.get(key, 0) + len(part)
    sizes["context bundles+savings"] = sum(len(c._bundles) + len(c._savings) for c in context._CONTEXTS.values())
    sizes["signature_rules codes memo"] = sum(len(c.memo) for c in signature_rules._CODINGS.values())
    return ", ".join(f"{k} {v}" for k, v in sorted(sizes.items()) if v > 1)


def deep_size(root: object, seen: set[int]) -> int:
    """Bytes of ``root`` and everything it reaches that ``seen`` does not hold yet (types, modules, code left out)."""
    import types

    skip = (type, types.ModuleType, types.FunctionType, types.CodeType, types.BuiltinFunctionType, types.MethodType)
    total, stack = 0, [root]
    while stack:
        item = stack.pop()
        if id(item) in seen or isinstance(item, skip):
            continue
        seen.add(id(item))
        total += sys.getsizeof(item)
        stack.extend(gc.get_referents(item))
    return total


def cache_bytes() -> str:
    """Deep sizes of the rules engine's caches, the largest first (shared objects counted once, in this order)."""
    from rules import context, signature_rules

    roots = _module_caches(("rules",))
    roots += [("context._CONTEXTS", context._CONTEXTS), ("signature_rules._CODINGS", signature_rules._CODINGS)]
    seen: set[int] = set()
    sizes = sorted(((label, deep_size(root, seen)) for label, root in roots), key=lambda pair: -pair[1])
    return ", ".join(f"{label} {size / 1024:.0f}K" for label, size in sizes if size >= 10 * 1024)


def figures() -> str:
    info = _LIBC.mallinfo2()
    arenas, blocks = pymalloc()
    mib = 1024 * 1024
    return (
        f"RSS {rss_kib() / 1024:7.1f} MiB | pymalloc arenas {arenas} ({arenas} MiB), blocks"
        f" {blocks / mib:.1f} MiB | glibc in use {info.uordblks / mib:.1f} MiB, free {info.fordblks / mib:.1f} MiB,"
        f" heap {info.arena / mib:.1f} MiB, mmapped {info.hblkhd / mib:.1f} MiB | gc objects {len(gc.get_objects())}"
    )


async def run_round(load: Any, actions: int, offset: int, seed: int, ingest_mid: bool) -> None:
    weights = [(load.advice, 6), (load.read_advice, 2), (load.query, 3), (load.prompt, 1), (load.questionnaire, 1)]
    choices, shares = zip(*weights, strict=True)
    counter = iter(range(offset, offset + actions))

    async def client(n: int) -> None:
        rng = random.Random(seed * 100 + n)
        for i in counter:
            if i % 750 == 0:
                await load.upload_dataset()
            if i % 1250 == 0:
                await load.scrape()
            if ingest_mid and i == offset + actions // 2:
                job_id = await load.ingest(["incident_response.md", "remote_work_he.md"])
                if job_id:
                    asyncio.get_running_loop().create_task(load.wait_job(job_id))
            await rng.choices(choices, shares)[0]()

    await asyncio.gather(*(client(n) for n in range(8)))


async def main_async(args: argparse.Namespace, data_dir: Path) -> None:
    from service.main import create_app

    app = create_app()
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8000", timeout=120.0) as client:
            deadline = time.monotonic() + 180
            while not (data_dir / "worker.json").exists():
                if time.monotonic() > deadline:
                    raise SystemExit("the worker did not start")
                await asyncio.sleep(0.2)
            stats = FlatStats()
            load = FlatLoad(client, stats, random.Random(7))
            created = await load.call("POST /v1/knowledge-bases", "POST", "/v1/knowledge-bases", (201,), json={"name": KB})
            if created is None or created.status_code != 201:
                raise SystemExit(f"could not create the knowledge base: {stats.notes}")
            job_id = await load.ingest(["benefits.md", "expenses.md", "onboarding.md", "code_review.md", "procurement_he.md"])
            await load.wait_job(job_id or "")
            print(f"start   {figures()}", flush=True)
            previous = None
            for n in range(1, args.rounds + 1):
                if n == args.trace_from and not tracemalloc.is_tracing():
                    tracemalloc.start(args.frames)
                cpu, wall = time.process_time(), time.perf_counter()
                await run_round(load, args.actions, (n - 1) * args.actions, n, ingest_mid=n == args.rounds // 2)
                cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
                statuses: Counter[int] = Counter()
                for counts in stats.statuses.values():
                    statuses.update(counts)
                print(f"round {n:2d} {figures()} | {wall:.0f} s wall, {cpu:.0f} s CPU | {dict(statuses)}", flush=True)
                if args.caches:
                    print(f"  caches: {cache_sizes()}", flush=True)
                if args.sizes:
                    print(f"  bytes: {cache_bytes()}", flush=True)
                if tracemalloc.is_tracing():
                    snapshot = tracemalloc.take_snapshot().filter_traces([tracemalloc.Filter(False, tracemalloc.__file__)])
                    if previous is not None:
                        diff = snapshot.compare_to(previous, args.group)
                        growth = sum(d.size_diff for d in diff)
                        print(f"  traced growth this round: {growth / 1024:+.0f} KiB")
                        for stat in diff[: args.top]:
                            if stat.size_diff:
                                where = stat.traceback.format()[-min(len(stat.traceback), args.frames) * 2 :: 2]
                                print(
                                    f"  {stat.size_diff / 1024:+9.1f} KiB {stat.count_diff:+7d}  "
                                    + " <- ".join(w.strip() for w in where)
                                )
                    previous = snapshot
            problems = {route: c for route, c in stats.statuses.items() if any(s >= 500 for s in c)}
            if problems or stats.dropped:
                print(f"5xx: {problems} dropped: {dict(stats.dropped)}")
            for note in stats.notes[:5]:
                print(f"unexpected: {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--actions", type=int, default=6000, help="client actions a round (a session is one)")
    parser.add_argument("--trace-from", type=int, default=5, help="start tracemalloc before this round (0: never)")
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--group", default="traceback", choices=["lineno", "traceback", "filename"])
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--caches", action="store_true", help="print the rules caches' sizes after each round")
    parser.add_argument("--sizes", action="store_true", help="print the rules caches' deep sizes after each round")
    parser.add_argument("--quiet-log", action="store_true", help="log warnings only (the soak's API logs every request)")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="advisor-heap-"))
    os.environ.update(ADVISOR_DATA_DIR=str(data_dir), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    log = (data_dir / "worker.log").open("wb")
    if not args.quiet_log:  # the app logs as the soak's API does (one JSON line per request), into a file
        with (data_dir / "api.log").open("wb") as api_log:
            os.dup2(api_log.fileno(), 2)
    else:
        os.environ["ADVISOR_LOG_LEVEL"] = "WARNING"
    worker = subprocess.Popen([sys.executable, "-m", "service.worker"], cwd=ROOT, stdout=log, stderr=log)
    try:
        asyncio.run(main_async(args, data_dir))
    except BaseException:
        traceback.print_exc(file=sys.stdout)
        raise
    finally:
        worker.terminate()
        with contextlib.suppress(subprocess.TimeoutExpired):
            worker.wait(timeout=30)
        if worker.poll() is None:
            worker.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
