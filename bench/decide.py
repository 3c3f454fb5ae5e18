"""Latency of rules.engine.decide next to Profile.model_validate of the same input, in one run.

Run: .venv/bin/python bench/decide.py [--iterations N] [--cold-iterations M]

Cycles through the 12 profiles of tests/data/scenarios_public.jsonl. Each round times, side by
side:
  validate   Profile.model_validate(dict), the floor every request pays anyway;
  warm       decide(...) on a profile seen before (the verdict cache holds it);
  cold       decide(...) on a profile nobody has sent before: a scenario with its counts and traffic moved to
             numbers not seen yet (first M rounds only). The per-rules-version strategy memo stays warm, as in a
             server that has answered a few requests; the per-profile caches are empty for it.
Prints p50/p99 in microseconds and each figure as a multiple of validate. Not a pass/fail test.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from knowledge.loader import default_catalog
from rules import engine
from rules.facts import Profile

SCENARIOS = Path(__file__).resolve().parent.parent / "tests" / "data" / "scenarios_public.jsonl"
KINDS = ("validate", "warm", "cold")


def load_profiles(path: Path = SCENARIOS) -> list[tuple[str, dict[str, Any]]]:
    """(id, profile dict) for every scenario line."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row["id"], row["profile"]) for row in rows]


def _timed(call: Callable[..., object], *args: Any, **kwargs: Any) -> int:
    start = time.perf_counter_ns()
    call(*args, **kwargs)
    return time.perf_counter_ns() - start


def _fresh(raw: dict[str, Any], i: int) -> Profile:
    """The scenario with numbers nobody sent before: the same kind of profile, but no cache can hold it."""
    return Profile.model_validate(
        {**raw, "examples": raw.get("examples", 0) + i % 7, "requests_per_day": raw.get("requests_per_day", 100) + 1000 + i}
    )


def measure(iterations: int, cold_iterations: int) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
    """Samples in ns per kind, and the cold samples per scenario id."""
    catalog = default_catalog()
    profiles = load_profiles()
    validated = [(pid, raw, Profile.model_validate(raw)) for pid, raw in profiles]
    for _, _, profile in validated:  # fill the rule set, catalog and strategy caches
        engine.decide(profile, catalog)
    samples: dict[str, list[int]] = {kind: [] for kind in KINDS}
    cold_by_id: dict[str, list[int]] = {pid: [] for pid, _ in profiles}
    for i in range(iterations):
        pid, raw, profile = validated[i % len(validated)]
        samples["validate"].append(_timed(Profile.model_validate, raw))
        samples["warm"].append(_timed(engine.decide, profile, catalog))
        if i < cold_iterations:
            elapsed = _timed(engine.decide, _fresh(raw, i), catalog)
            samples["cold"].append(elapsed)
            cold_by_id[pid].append(elapsed)
    return samples, cold_by_id


def percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


def report(samples: dict[str, list[int]], cold_by_id: dict[str, list[int]]) -> None:
    base50 = percentile(samples["validate"], 0.50)
    base99 = percentile(samples["validate"], 0.99)
    print(f"{'':10} {'n':>6} {'p50 us':>9} {'p99 us':>9} {'p50 x validate':>15} {'p99 x validate':>15}")
    for kind in KINDS:
        values = samples[kind]
        if not values:
            continue
        p50, p99 = percentile(values, 0.50), percentile(values, 0.99)
        print(f"{kind:10} {len(values):6d} {p50 / 1e3:9.1f} {p99 / 1e3:9.1f} {p50 / base50:15.1f} {p99 / base99:15.1f}")
    if samples["cold"]:
        warm50 = percentile(samples["warm"], 0.50)
        print(f"cold/warm p50: {percentile(samples['cold'], 0.50) / warm50:.1f}x")
        per_id = "  ".join(f"{pid} {statistics.median(v) / 1e6:.2f}" for pid, v in cold_by_id.items() if v)
        print(f"cold p50 per scenario, ms: {per_id}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=3000, help="rounds of validate and warm")
    parser.add_argument("--cold-iterations", type=int, default=600, help="rounds that also time a cold decide")
    args = parser.parse_args()
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (other processes share them)")
    samples, cold_by_id = measure(args.iterations, min(args.cold_iterations, args.iterations))
    report(samples, cold_by_id)


if __name__ == "__main__":
    main()
