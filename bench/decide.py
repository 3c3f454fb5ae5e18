"""Latency of rules.engine.decide next to Profile.model_validate of the same input, in one run.

Run: .venv/bin/python bench/decide.py [--iterations N] [--cold-iterations M] [--against GIT-REF]
     PYTHONHASHSEED=0 valgrind --tool=callgrind --instr-atstart=no .venv/bin/python bench/decide.py --callgrind N

Cycles through the 12 profiles of tests/data/scenarios_public.jsonl. Each round times, side by
side:
  validate   Profile.model_validate(dict), the floor every request pays anyway;
  warm       decide(...) on a profile seen before (the verdict cache holds it);
  cold       decide(...) on a profile nobody has sent before: a scenario with its counts and traffic moved to
             numbers not seen yet (first M rounds only). The per-rules-version strategy memo stays warm, as in a
             server that has answered a few requests; the per-profile caches are empty for it.
Prints p50/p99 in microseconds and each figure as a multiple of validate, and the CPU time (thread_time) a cold
decide costs on average, which a loaded machine distorts less than wall-clock percentiles. Not a pass/fail test.

--against REF measures the code of another commit side by side in the same run: REF's tree is exported to a
temporary directory (git archive) and this script runs in subprocesses with each tree first on PYTHONPATH,
alternating for --rounds rounds; the table shows the median of each figure per tree.

--callgrind N (under ``valgrind --tool=callgrind --instr-atstart=no``): the same warm-up, 600 cold decides, then
callgrind's instrumentation on for N more cold decides only; the total callgrind prints divided by N is the
instructions per cold decide, which do not depend on the machine's load. The rules come from PYTHONPATH, so another
tree is measured with its own directory first on PYTHONPATH. With --varied, the profiles are instead made like the
varied cases of tests/rules/cold_cases.py (every provider and model, values around every threshold, fields left out,
two days, both languages): 2 x 450 of them (seeds 18 and 20) decided first, uninstrumented, so the combination memos
are as warm as in a server that has seen some varied traffic; then N new ones (seed 19), each decided once.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from knowledge.loader import default_catalog
from rules import engine
from rules.facts import Profile

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = ROOT / "tests" / "data" / "scenarios_public.jsonl"
KINDS = ("validate", "warm", "cold")


def load_profiles(path: Path = SCENARIOS) -> list[tuple[str, dict[str, Any]]]:
    """(id, profile dict) for every scenario line."""
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [(row["id"], row["profile"]) for row in rows]


def _timed(call: Callable[..., object], *args: Any, **kwargs: Any) -> int:
    start = time.perf_counter_ns()
    call(*args, **kwargs)
    return time.perf_counter_ns() - start


def cold_cpu(catalog: Any, profiles: list[tuple[str, dict[str, Any]]], start: int, count: int) -> float:
    """Mean CPU microseconds (this thread) per cold decide over ``count`` profiles nobody has sent before: the
    rounds ``start`` to ``start + count`` of the cold sequence ``measure`` times (same kind of numbers, new ones)."""
    fresh = [_fresh(profiles[i % len(profiles)][1], i) for i in range(start, start + count)]
    begin = time.thread_time_ns()
    for profile in fresh:
        engine.decide(profile, catalog)
    return (time.thread_time_ns() - begin) / count / 1e3


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
    for _ in range(2):  # fill the rule set, catalog and strategy caches; verdicts are kept from a second request
        for _, _, profile in validated:
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


def instrumented(count: int, varied: bool = False) -> None:
    """Cold decides as ``measure`` makes them, with callgrind's instrumentation on for the last ``count`` only (or for
    the varied cases of tests/rules/cold_cases.py)."""
    catalog = default_catalog()
    profiles = load_profiles()
    for _ in range(2):
        for _, raw in profiles:
            engine.decide(Profile.model_validate(raw), catalog)
    warm_up = 600
    fresh = [_fresh(profiles[i % len(profiles)][1], i) for i in range(warm_up + count)]
    for profile in fresh[:warm_up]:
        engine.decide(profile, catalog)
    calls: list[tuple[Profile, dict[str, Any]]] = [(profile, {}) for profile in fresh[warm_up:]]
    if varied:
        sys.path.insert(0, str(ROOT))
        from tests.rules.cold_cases import case

        def made(seed: int, number: int) -> list[tuple[Profile, dict[str, Any]]]:
            rng = random.Random(seed)
            items = [case(rng, index) for index in range(number)]
            options = [
                {
                    "today": dt.date.fromisoformat(item["day"]),
                    "lang": item["lang"],
                    "with_counterfactuals": item["with_counterfactuals"],
                }
                for item in items
            ]
            return [(Profile.model_validate(item["profile"]), option) for item, option in zip(items, options, strict=True)]

        for profile, options in made(18, 450) + made(20, 450):
            engine.decide(profile, catalog, **options)
        calls = made(19, count)
    subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
    for profile, options in calls:
        engine.decide(profile, catalog, **options)
    subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)
    print(f"{len(calls)} cold decides instrumented: divide callgrind's total by {len(calls)}")


def percentile(values: list[int], q: float) -> float:
    ordered = sorted(values)
    return float(ordered[min(len(ordered) - 1, int(q * len(ordered)))])


def figures(samples: dict[str, list[int]], cpu: float) -> dict[str, float]:
    """The figures one run reports, in microseconds."""
    found = {"cold cpu mean": cpu}
    for kind in KINDS:
        if samples[kind]:
            found[f"{kind} p50"] = percentile(samples[kind], 0.50) / 1e3
            found[f"{kind} p99"] = percentile(samples[kind], 0.99) / 1e3
    return found


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


def export(ref: str, into: Path) -> Path:
    """The tree of commit ``ref`` (rules, knowledge, bench and what they import), extracted under ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref], check=True, capture_output=True).stdout
    with tempfile.TemporaryFile() as handle:
        handle.write(archive)
        handle.seek(0)
        with tarfile.open(fileobj=handle) as tar:
            # The "data" filter where this Python has it (3.11.4+; Debian's 3.11.2 has not): our own commit's files.
            tar.extractall(into, **({"filter": "data"} if hasattr(tarfile, "data_filter") else {}))
    return into


def side_by_side(ref: str, rounds: int, iterations: int, cold_iterations: int) -> None:
    """This tree and ``ref``'s, alternating in subprocesses; the median of each figure per tree."""
    runs: dict[str, list[dict[str, float]]] = {ref: [], "this tree": []}
    with tempfile.TemporaryDirectory(prefix="decide-bench-") as scratch:
        trees = {ref: export(ref, Path(scratch)), "this tree": ROOT}
        for number in range(rounds):
            for name, tree in trees.items():
                # This script, importing the rules (and all else) of ``tree``.
                command = [sys.executable, str(Path(__file__).resolve()), "--json"]
                command += ["--iterations", str(iterations), "--cold-iterations", str(cold_iterations)]
                env = {**os.environ, "PYTHONPATH": str(tree)}
                done = subprocess.run(command, check=True, capture_output=True, text=True, cwd=tree, env=env)
                runs[name].append(json.loads(done.stdout.strip().splitlines()[-1]))
                print(f"round {number + 1}/{rounds} {name}: cold cpu {runs[name][-1]['cold cpu mean']:.0f} us", flush=True)
    names = list(runs)
    print(f"\n{'median of ' + str(rounds) + ' rounds, us':32}" + "".join(f"{name:>14}" for name in names) + f"{'ratio':>8}")
    for figure in runs[names[0]][0]:
        medians = [statistics.median(run[figure] for run in runs[name]) for name in names]
        print(f"{figure:32}" + "".join(f"{value:14.1f}" for value in medians) + f"{medians[1] / medians[0]:8.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--iterations", type=int, default=3000, help="rounds of validate and warm")
    parser.add_argument("--cold-iterations", type=int, default=600, help="rounds that also time a cold decide")
    parser.add_argument("--against", metavar="REF", help="also measure the rules of this git commit, side by side")
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds per tree with --against")
    parser.add_argument("--json", action="store_true", help="print one JSON line of figures (used by --against)")
    parser.add_argument("--callgrind", type=int, metavar="N", help="instrument N cold decides (under callgrind)")
    parser.add_argument("--varied", action="store_true", help="with --callgrind: the 450 varied cases instead")
    args = parser.parse_args()
    if args.callgrind:
        instrumented(args.callgrind, args.varied)
        return
    if args.against:
        print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (other processes share them)")
        side_by_side(args.against, args.rounds, args.iterations, args.cold_iterations)
        return
    cold_iterations = min(args.cold_iterations, args.iterations)
    samples, cold_by_id = measure(args.iterations, cold_iterations)
    cpu = cold_cpu(default_catalog(), load_profiles(), cold_iterations, cold_iterations)
    if args.json:
        print(json.dumps(figures(samples, cpu)))
        return
    print(f"load average before the run: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores (other processes share them)")
    report(samples, cold_by_id)
    print(f"cold decide, mean CPU per call: {cpu:.0f} us")


if __name__ == "__main__":
    main()
