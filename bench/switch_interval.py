"""A search beside Python-heavy background work (a BM25 rebuild), at several GIL switch intervals. Not a test.

Usage: .venv/bin/python bench/switch_interval.py [--chunks 5000] [--queries 300]

The worker answers searches in one thread while another ingests or rebuilds the BM25 snapshot, both mostly
Python. A thread waiting for the GIL gets it when the holder's switch interval runs out (Python's default:
5 ms), so a search that needs the GIL a few times waits a few intervals. Side by side in one run, for each
interval: p50/p99 ms of a BM25 search plus its coverage scores, idle and beside a loop of rebuilds.
The worker sets 1 ms (service/worker/main.py, ADR 0017).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import threading
import time
from pathlib import Path

sys.path[0] = str(Path(__file__).resolve().parent.parent)

from service.knowledge_bases.lexical import LexicalIndex  # noqa: E402


def latencies(index: LexicalIndex, items: list[tuple[str, str]], queries: list[str], busy: bool) -> list[float]:
    stop = threading.Event()

    def rebuild() -> None:
        while not stop.is_set():
            LexicalIndex(items)

    worker = threading.Thread(target=rebuild) if busy else None
    if worker is not None:
        worker.start()
    out = []
    try:
        for q in queries:
            started = time.perf_counter()
            index.search(q, 10)
            index.coverage(q, [text for _, text in items[:10]])
            out.append((time.perf_counter() - started) * 1000)
            time.sleep(0.002)  # searches arrive one by one, not back to back
    finally:
        stop.set()
        if worker is not None:
            worker.join()
    return sorted(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=300)
    args = parser.parse_args()
    rng = random.Random(7)
    words = [f"w{i}" for i in range(20_000)]
    items = [(f"c{i}", " ".join(rng.choice(words) for _ in range(60))) for i in range(args.chunks)]
    queries = [" ".join(rng.choice(words) for _ in range(8)) for _ in range(args.queries)]
    index = LexicalIndex(items)
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")
    default = sys.getswitchinterval()
    rows = []
    for interval in (0.005, 0.001, 0.0005):
        sys.setswitchinterval(interval)
        idle = latencies(index, items, queries, busy=False)
        busy = latencies(index, items, queries, busy=True)
        p99 = busy[int(0.99 * len(busy))]
        rows.append(p99)
        print(
            f"switch interval {interval * 1000:3.1f} ms   idle p50 {statistics.median(idle):5.2f} p99 "
            f"{idle[int(0.99 * len(idle))]:6.2f} ms   beside a rebuild p50 {statistics.median(busy):5.2f} p99 {p99:6.2f} ms"
        )
    sys.setswitchinterval(default)
    print(f"p99 beside a rebuild, 5 ms / 1 ms interval: {rows[0] / rows[1]:.1f}x")
    print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
