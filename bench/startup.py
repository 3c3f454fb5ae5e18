"""How fast the service comes up: the API's imports, its first answer, and the worker's readiness. Not a test.

Usage: .venv/bin/python bench/startup.py [--runs 5]

1. `import service.main` in a fresh interpreter, --runs times: CPU seconds (user + system) and wall seconds.
   For scale, `import fastapi` alone in the same loop (a floor no FastAPI service goes below).
2. `advisor serve` on a fresh data dir, --runs times: seconds until GET /healthz answers 200 (the API serves)
   and until GET /readyz answers 200 (the worker has opened the store and loaded the embedding model); then four
   POST /v1/advice of profiles nobody sent and four new questionnaire sessions, one after another: the first of
   each (what the first team after a start waits) and the next three.

Goals (issue 18): imports <= 1 s, the worker ready <= 5 s after `advisor serve`.

--against REF also imports service.main from another commit's tree (git archive to a temporary directory, first on
PYTHONPATH), alternating with this tree --runs times, and prints both medians side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # bench/http.py must not shadow the standard library's http
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import http.client  # noqa: E402

from bench.load import free_port  # noqa: E402


def import_seconds(module: str, tree: Path = ROOT) -> tuple[float, float]:
    """(CPU, wall) seconds of importing ``module`` from ``tree`` in a new interpreter (the interpreter's start included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    env = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run([sys.executable, "-c", f"import {module}"], check=True, cwd=tree, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return cpu, wall


def _status(port: int, path: str) -> int | None:
    try:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        connection.request("GET", path)
        status = connection.getresponse().status
        connection.close()
        return status
    except OSError:
        return None


def _post_ms(port: int, path: str, body: dict[str, object]) -> float:
    """Milliseconds one POST takes (a new connection, as a first visitor's); it must answer 201."""
    started = time.perf_counter()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("POST", path, body=json.dumps(body), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    response.read()
    connection.close()
    if response.status != 201:
        raise SystemExit(f"POST {path} answered {response.status} after the start")
    return (time.perf_counter() - started) * 1000


def first_requests_ms(port: int) -> dict[str, tuple[float, float]]:
    """The first POST /v1/advice after the start and the median of the three after it (profiles nobody sent); the
    same for new questionnaire sessions."""
    lines = (ROOT / "tests" / "data" / "scenarios_public.jsonl").read_text(encoding="utf-8").splitlines()
    profiles = [json.loads(line)["profile"] for line in lines if line.strip()]
    advice = [_post_ms(port, "/v1/advice", {**p, "requests_per_day": p["requests_per_day"] + 7}) for p in profiles[:4]]
    sessions = [_post_ms(port, "/v1/questionnaire/sessions", {}) for _ in range(4)]
    return {name: (took[0], statistics.median(took[1:])) for name, took in (("advice", advice), ("session", sessions))}


def serve_seconds() -> tuple[float, float, dict[str, tuple[float, float]]]:
    """Seconds from `advisor serve` to /healthz 200 and to /readyz 200, on a fresh data dir; then the first advice
    and the next ones (ms)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as data_dir:
        env = {**os.environ, "ADVISOR_DATA_DIR": data_dir, "ADVISOR_PORT": str(port), "ADVISOR_LOG_LEVEL": "WARNING"}
        advisor = str(Path(sys.executable).parent / "advisor")
        started = time.perf_counter()
        process = subprocess.Popen([advisor, "serve"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        healthy = ready = None
        try:
            while ready is None and time.perf_counter() - started < 120:
                if healthy is None and _status(port, "/healthz") == 200:
                    healthy = time.perf_counter() - started
                if healthy is not None and _status(port, "/readyz") == 200:
                    ready = time.perf_counter() - started
                time.sleep(0.02)
            first = first_requests_ms(port) if ready is not None else {}
        finally:
            process.terminate()
            process.wait(timeout=30)
    if healthy is None or ready is None:
        raise SystemExit("advisor serve did not become ready within 120 s")
    return healthy, ready, first


def imports_side_by_side(ref: str, runs: int) -> None:
    """CPU of ``import service.main`` from ``ref``'s tree and this one, alternating; medians, interpreter start excluded."""
    from bench.decide import export

    with tempfile.TemporaryDirectory(prefix="startup-bench-") as scratch:
        trees = {ref: export(ref, Path(scratch)), "this tree": ROOT}
        cpu: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(runs):
            for name, tree in trees.items():
                cpu[name].append(import_seconds("service.main", tree)[0] - import_seconds("sys", tree)[0])
    medians = {name: statistics.median(values) for name, values in cpu.items()}
    for name, values in cpu.items():
        runs_text = ", ".join(f"{v:.2f}" for v in values)
        print(f"import service.main from {name:<12} median CPU {medians[name]:5.2f} s  (all: {runs_text})")
    print(f"this tree / {ref}: {medians['this tree'] / medians[ref]:.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", metavar="REF", help="only the imports: this tree next to a git commit's, alternating")
    args = parser.parse_args()
    print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")
    if args.against:
        imports_side_by_side(args.against, args.runs)
        print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")
        return
    empty = [import_seconds("sys") for _ in range(args.runs)]
    base_cpu = statistics.median(cpu for cpu, _ in empty)
    base_wall = statistics.median(wall for _, wall in empty)
    for module in ("fastapi", "service.main"):
        runs = [import_seconds(module) for _ in range(args.runs)]
        cpu = statistics.median(c for c, _ in runs) - base_cpu
        wall = statistics.median(w for _, w in runs) - base_wall
        goal = "  (goal <= 1 s: " + ("met)" if cpu <= 1.0 else "MISSED)") if module == "service.main" else ""
        print(f"import {module:<14} median CPU {cpu:5.2f} s  wall {wall:5.2f} s{goal}")
    serves = [serve_seconds() for _ in range(args.runs)]
    healthy = statistics.median(h for h, _, _ in serves)
    ready = statistics.median(r for _, r, _ in serves)
    print(f"advisor serve -> /healthz 200   median {healthy:5.2f} s  (all: {', '.join(f'{h:.2f}' for h, _, _ in serves)})")
    verdict = "met" if ready <= 5.0 else "MISSED"
    print(f"advisor serve -> /readyz 200    median {ready:5.2f} s  (goal <= 5 s: {verdict})")
    for name, label in (("advice", "POST /v1/advice"), ("session", "POST /v1/questionnaire/sessions")):
        first = [took[name][0] for _, _, took in serves]
        listed = ", ".join(f"{f:.1f}" for f in first)
        later = statistics.median(took[name][1] for _, _, took in serves)
        middle = statistics.median(first)
        print(f"the first {label} after it: median {middle:5.1f} ms (all: {listed}); the next three {later:.1f} ms")
    print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")


if __name__ == "__main__":
    main()
