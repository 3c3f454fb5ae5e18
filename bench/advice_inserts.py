"""CPU per stored advice by rows per transaction: the event loop's writer alone, on real advice rows (ADR 0038).

Run: .venv/bin/python bench/advice_inserts.py [--rows N] [--together 1,2,4,8] [--repeats R]

Decides the 12 public profiles with varied traffic (as bench/http.py --cold does) to get real rows, then, for each
group size k, hands them to a fresh SQLite database's ``ImmediateWriter.insert_soon`` k per turn of a uvloop loop (so
each transaction commits k rows), and prints the process's user and system CPU per row (``getrusage``; SQLite's WAL
writes and lock calls are system time, which callgrind does not count). The sizes alternate within each repeat so
background load hits all alike; the last column is the CPU per row against one row per transaction. Not a pass/fail
test.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT), *(p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent)]

from bench.http import _run_loop  # noqa: E402  (uvloop, the server's own loop, when installed)
from rules.facts import Profile  # noqa: E402
from service.advice import service as advice  # noqa: E402
from service.ids import uuid7_text  # noqa: E402
from service.store.db import Database, upgrade  # noqa: E402
from service.store.models import AdviceRow  # noqa: E402
from tests.conftest import TODAY  # noqa: E402

SCENARIOS = ROOT / "tests" / "data" / "scenarios_public.jsonl"
TABLE: Any = AdviceRow.__table__


def rows(count: int) -> list[dict[str, Any]]:
    """``count`` advice rows as the route stores them, the public profiles' traffic varied."""
    profiles = [json.loads(line)["profile"] for line in SCENARIOS.read_text(encoding="utf-8").splitlines() if line.strip()]
    made = []
    for n in range(count):
        base = profiles[n % len(profiles)]
        profile = Profile.model_validate({**base, "requests_per_day": base["requests_per_day"] + 1 + n})
        values = advice.decide_plain("bench", advice.as_request(profile, None), lambda: TODAY)
        made.append({**values, "tenant_id": "bench"})
    return made


def cpu() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime, usage.ru_stime


def measure(made: list[dict[str, Any]], together: int, total: int) -> tuple[float, float, float]:
    """User and system CPU per row (µs), and rows per transaction, for ``total`` rows handed in ``together`` a turn."""
    with tempfile.TemporaryDirectory(prefix="advisor-inserts-") as scratch:
        database = Database(f"sqlite:///{Path(scratch) / 'advisor.db'}")
        upgrade(database.engine)
        writer = database.immediate
        batches = [
            [{**made[n % len(made)], "id": uuid7_text()} for n in range(start, min(start + together, total))]
            for start in range(0, total, together)
        ]

        async def hand_in() -> tuple[float, float]:
            user, system = cpu()
            for batch in batches:
                stored = await asyncio.gather(*(writer.insert_soon(TABLE, row) for row in batch))
                if not all(stored):
                    raise SystemExit("SQLite refused a row (busy): is another process writing this file?")
            writer.wait_checkpoint()
            after = cpu()
            return after[0] - user, after[1] - system

        try:
            user, system = _run_loop(hand_in())
            per_transaction = writer.committed / writer.transactions
        finally:
            database.dispose()
    return user / total * 1e6, system / total * 1e6, per_transaction


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=8000, help="rows stored per measurement")
    parser.add_argument("--together", default="1,2,4,8", help="rows handed in per turn of the loop, comma-separated")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    sizes = [int(size) for size in args.together.split(",")]
    started = time.perf_counter()
    made = rows(600)
    size = statistics.mean(len(json.dumps(row["verdict"])) for row in made)
    print(f"{len(made)} advice rows decided in {time.perf_counter() - started:.1f} s (verdict JSON {size:.0f} bytes on average)")
    found: dict[int, list[tuple[float, float, float]]] = {k: [] for k in sizes}
    for _ in range(args.repeats):
        for k in sizes:
            found[k].append(measure(made, k, args.rows))
    base = statistics.median(u + s for u, s, _ in found[sizes[0]])
    print(f"{args.rows} rows per measurement, {args.repeats} repeats, median of each column")
    heads = ("rows/turn", "rows/tx", "user us", "system us", "CPU us/row", "runs", f"vs {sizes[0]}")
    print("".join(f"{head:>{width}}" for head, width in zip(heads, (10, 9, 9, 11, 12, 22, 8), strict=True)))
    for k in sizes:
        runs = found[k]
        totals = [u + s for u, s, _ in runs]
        user, system = statistics.median(u for u, _, _ in runs), statistics.median(s for _, s, _ in runs)
        spread = " / ".join(f"{t:.0f}" for t in totals)
        print(
            f"{k:>10}{statistics.median(p for _, _, p in runs):>9.2f}{user:>9.1f}{system:>11.1f}"
            f"{statistics.median(totals):>12.1f}{spread:>22}{statistics.median(totals) / base:>8.2f}"
        )


if __name__ == "__main__":
    main()
