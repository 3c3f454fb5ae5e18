"""Knowledge-base search end to end (API -> worker -> query embedding -> dense + BM25 -> fused hits), idle and
while the same worker ingests documents, side by side in one run. Not a pass/fail test.

Usage: .venv/bin/python bench/search.py [--chunks 100000] [--queries 300] [--docs 300] [--against GIT-REF] [--rounds 3]
                                        [--asked N]

1. `advisor serve` on a fresh data dir creates the knowledge base `bench` through the API, then stops.
2. The bench fills its Chroma collection with --chunks records (random unit vectors, Zipf-distributed words, as
   bench/kb.py does), so a 100,000-chunk knowledge base takes a minute instead of an hour of embedding.
3. `advisor serve` again: after one warm-up query (the BM25 snapshot is built then), --queries searches, each with a
   question never asked before (so the worker embeds every one), one after another, in hybrid and dense mode.
4. An upload of --docs new documents starts an ingestion; the same kind of searches run until it finishes.

Prints p50/p99 ms per phase with the goals of issue 18: p99 <= 15 ms idle at 100,000 chunks, <= 100 ms during
ingestion (searches never wait for a batch of documents to be embedded), and the CPU each search cost the API and the
worker process (from /proc: less sensitive to what else the machine runs than the percentiles).

--against REF serves the code of another commit (its tree exported with git archive, first on PYTHONPATH) on the same
filled knowledge base, in --rounds alternating idle phases with this tree (new questions in every phase), and prints
both side by side with the ratio; the ingestion phase runs on this tree only, after them.

--asked N asks N distinct questions again and again instead of new ones: the embedder's cache answers, as it does
for the soak's six questions, so what is left is the search itself.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # bench/http.py must not shadow the standard library's http
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import http.client  # noqa: E402

import numpy as np  # noqa: E402

from bench.decide import export  # noqa: E402
from bench.kb import _texts, documents, fill_random, percentile  # noqa: E402
from bench.load import free_port  # noqa: E402

THIS_TREE = "this tree"


class Server:
    """`advisor serve` on ``data_dir``: the API and its worker as real processes."""

    def __init__(self, data_dir: Path, tree: Path = ROOT) -> None:
        self.port = free_port()
        self.data_dir = data_dir
        env = {**os.environ, "ADVISOR_DATA_DIR": str(data_dir), "ADVISOR_PORT": str(self.port), "ADVISOR_LOG_LEVEL": "WARNING"}
        env["PYTHONPATH"] = str(tree)
        advisor = str(Path(sys.executable).parent / "advisor")
        # cwd too: the worker is `python -m service.worker`, which puts its working directory first on sys.path, so
        # from the repository's root it would import this tree's code whatever PYTHONPATH says.
        self.process = subprocess.Popen(
            [advisor, "serve"], env=env, cwd=tree, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        deadline = time.monotonic() + 180
        while True:
            try:
                if self.call("GET", "/readyz")[0] == 200:
                    return
            except OSError:
                self.connection.close()
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("advisor serve did not become ready")
            time.sleep(0.3)

    def call(self, method: str, path: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        self.connection.request(method, path, body, headers or {})
        response = self.connection.getresponse()
        return response.status, response.read()

    def post(self, path: str, payload: object) -> tuple[int, dict[str, object]]:
        status, body = self.call("POST", path, json.dumps(payload).encode(), {"content-type": "application/json"})
        return status, json.loads(body)

    def cpu_seconds(self) -> tuple[float, float]:
        """CPU time so far of the API process and of the worker (user + system, from /proc)."""
        worker = json.loads((self.data_dir / "worker.json").read_text(encoding="utf-8"))["pid"]
        return _cpu(self.process.pid), _cpu(int(worker))

    def stop(self) -> None:
        self.connection.close()
        self.process.terminate()
        self.process.wait(timeout=60)


def _cpu(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fill(data_dir: Path, collection: str, total: int) -> float:
    """Write ``total`` live records into the knowledge base's collection, as the worker's index lays them out."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    from service.embeddings.model import Embedder
    from service.knowledge_bases.index import KnowledgeBaseIndex

    client = chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False))
    target = KnowledgeBaseIndex(client, collection, Embedder(None)).ensure()
    rng = np.random.default_rng(7)
    start = time.perf_counter()
    fill_random(target.add, total, rng)
    return time.perf_counter() - start


def questions(count: int, salt: str, distinct: int = 0) -> list[str]:
    """``count`` questions, all new; with ``distinct``, that many asked again and again (as the soak asks)."""
    if distinct:
        asked = questions(distinct, salt)
        return [asked[i % distinct] for i in range(count)]
    rng = np.random.default_rng(len(salt) * 31 + count)
    return [f"{' '.join(text.split()[:5])} {salt} {i}" for i, text in enumerate(_texts(rng, count))]


def search(server: Server, asked: list[str], mode: str, until: object = None) -> list[float]:
    """Latency (ms) of each search, one after another; with ``until``, stop when it returns True."""
    timings = []
    for q in asked:
        t0 = time.perf_counter()
        status, _ = server.post("/v1/knowledge-bases/bench/query", {"q": q, "k": 5, "mode": mode})
        timings.append((time.perf_counter() - t0) * 1000)
        if status != 200:
            raise RuntimeError(f"search answered {status}")
        if until is not None and until():  # type: ignore[operator]
            break
    return timings


def upload(server: Server, count: int) -> str:
    boundary = "benchboundary"
    parts = []
    for name, text in documents(count):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; filename="new-{name}"\r\n'
            f"Content-Type: text/markdown\r\n\r\n{text}\r\n"
        )
    body = ("".join(parts) + f"--{boundary}--\r\n").encode()
    status, answer = server.call(
        "POST", "/v1/knowledge-bases/bench/documents", body, {"content-type": f"multipart/form-data; boundary={boundary}"}
    )
    if status != 202:
        raise RuntimeError(f"upload answered {status}: {answer[:300]!r}")
    return str(json.loads(answer)["id"])


def line(name: str, timings: list[float], goal: float) -> str:
    p99 = percentile(timings, 0.99)
    verdict = "met" if p99 <= goal else "MISSED"
    p50 = statistics.median(timings)
    return f"{name:<44} n {len(timings):>4}  p50 {p50:7.2f} ms  p99 {p99:7.2f} ms  (goal <= {goal:g}: {verdict})"


@dataclass
class Phase:
    """One idle phase of one tree: latencies (ms) and the CPU per search (ms) of the API and the worker."""

    hybrid: list[float]
    dense: list[float]
    api_cpu: float
    worker_cpu: float


def warm_up(server: Server) -> float:
    """The first search builds the BM25 snapshot (tens of seconds at 100,000 chunks on a busy machine): until it
    answers, the API says 503 (the worker did not answer within its read timeout, or is still starting)."""
    t0 = time.perf_counter()
    deadline = time.monotonic() + 600
    while True:
        status, _ = server.post("/v1/knowledge-bases/bench/query", {"q": "warm up the BM25 snapshot", "k": 5, "mode": "hybrid"})
        if status == 200:
            return time.perf_counter() - t0
        if status != 503 or time.monotonic() > deadline:
            raise RuntimeError(f"the first search answered {status}")
        time.sleep(1)


def idle_phase(server: Server, queries: int, salt: str, distinct: int = 0) -> Phase:
    warm_up(server)
    api0, worker0 = server.cpu_seconds()
    hybrid = search(server, questions(queries, f"idle {salt}", distinct), "hybrid")
    dense = search(server, questions(queries, f"dense {salt}", distinct), "dense")
    api1, worker1 = server.cpu_seconds()
    n = len(hybrid) + len(dense)
    return Phase(hybrid, dense, (api1 - api0) * 1000 / n, (worker1 - worker0) * 1000 / n)


def side_by_side(data_dir: Path, trees: dict[str, Path], args: argparse.Namespace) -> None:
    phases: dict[str, list[Phase]] = {name: [] for name in trees}
    for round_ in range(args.rounds):
        for name, tree in trees.items():
            server = Server(data_dir, tree)
            try:
                phases[name].append(idle_phase(server, args.queries, f"{round_} {name}", args.asked))
            finally:
                server.stop()
    rows = {}
    for name, runs in phases.items():
        hybrid = [t for run in runs for t in run.hybrid]
        dense = [t for run in runs for t in run.dense]
        rows[name] = {
            "hybrid p50": statistics.median(hybrid),
            "hybrid p99": percentile(hybrid, 0.99),
            "dense p50": statistics.median(dense),
            "dense p99": percentile(dense, 0.99),
            "API CPU/search": statistics.median(run.api_cpu for run in runs),
            "worker CPU/search": statistics.median(run.worker_cpu for run in runs),
        }
    names = list(trees)
    asked = f", {args.asked} distinct questions" if args.asked else ""
    print(f"idle, {args.chunks} chunks, {args.rounds} alternating rounds of {args.queries} searches per mode{asked} (ms)")
    print(f"{'':<20}" + "".join(f"{name[:14]:>16}" for name in names) + f"{'ratio':>10}")
    for figure in rows[names[0]]:
        values = [rows[name][figure] for name in names]
        ratio = values[-1] / values[0] if values[0] else float("nan")
        print(f"{figure:<20}" + "".join(f"{value:16.2f}" for value in values) + f"{ratio:10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--docs", type=int, default=300)
    parser.add_argument("--against", metavar="REF", help="also serve this git commit's code on the same data, alternating")
    parser.add_argument("--rounds", type=int, default=3, help="alternating idle phases per tree with --against")
    parser.add_argument(
        "--asked", type=int, default=0, metavar="N", help="ask N questions again and again (cached vectors, as in the soak)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-search-") as folder:
        data_dir = Path(folder)
        server = Server(data_dir)
        status, created = server.post("/v1/knowledge-bases", {"name": "bench"})
        server.stop()
        if status != 201:
            raise RuntimeError(f"create answered {status}: {created}")
        from service.config import Settings
        from service.knowledge_bases.service import collection_for

        seconds = fill(data_dir, collection_for(Settings().default_tenant, "bench"), args.chunks)
        print(f"load average before: {Path('/proc/loadavg').read_text().strip()}")
        print(f"{args.chunks} chunks written in {seconds:.0f} s; starting advisor serve on them")
        if args.against:
            trees = {args.against: export(args.against, data_dir / "against-tree"), THIS_TREE: ROOT}
            side_by_side(data_dir, trees, args)
        server = Server(data_dir)
        try:
            print(f"first search (builds the BM25 snapshot): {warm_up(server):.1f} s")
            idle = idle_phase(server, args.queries, "last", args.asked)
            job = upload(server, args.docs)

            def finished() -> bool:
                status, body = server.call("GET", f"/v1/jobs/{job}")
                return status == 200 and json.loads(body)["state"] in ("succeeded", "failed")

            t0 = time.perf_counter()
            during = search(server, questions(20 * args.queries, "busy", args.asked), "hybrid", until=finished)
            print(f"ingestion of {args.docs} documents ran {time.perf_counter() - t0:.1f} s beside the searches")
            print(f"load average after: {Path('/proc/loadavg').read_text().strip()}")
            print(line(f"hybrid search, idle, {args.chunks} chunks", idle.hybrid, 15))
            print(line(f"dense search, idle, {args.chunks} chunks", idle.dense, 15))
            print(f"CPU per idle search: API {idle.api_cpu:.2f} ms, worker {idle.worker_cpu:.2f} ms")
            print(line("hybrid search during ingestion", during, 100))
            print(f"p99 during ingestion / idle: {percentile(during, 0.99) / percentile(idle.hybrid, 0.99):.1f}x")
        finally:
            server.stop()


if __name__ == "__main__":
    main()
