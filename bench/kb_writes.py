"""What an ingestion costs the searches of the same process: GIL stalls of Chroma's calls and BM25 rebuilds. Not a test.

Usage: .venv/bin/python bench/kb_writes.py [--fill 40] [--docs 20] [--chunks 330 5000 20000]

1. Chroma's calls, one at a time, in a fresh local collection of 5,000 records, while a probe thread ticks every
   0.5 ms: how long each call took and the longest the probe stood still meanwhile. A call that holds the GIL
   stops the probe for all of it (chromadb frees the GIL in `get` and `query`, not in writes).
2. The knowledge base's own ingestion (`KnowledgeBaseIndex.upsert_documents`, the bundled model) of --docs corpus
   documents into a KB already holding --fill of them, with the BM25 snapshot rebuilt after each, as a search
   would: probe stalls over 10 ms and the longest, the Chroma calls it made (count and p50), the wall time. Twice,
   each in a new KB: new records written pending and then flipped (as every plan did before ADR 0029), then as
   the index writes them now (live, in one call).
3. A BM25 rebuild after 5 new chunks (`LexicalIndex.rebuilt`) against a build from scratch and bm25s itself, for
   each --chunks (copies of the test corpus's paragraphs), CPU time in this process.

ADR 0029 and docs/benchmarks.md quote these figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # bench/http.py must not shadow the standard library's http
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import chromadb  # noqa: E402
import numpy as np  # noqa: E402
from chromadb.api.models.Collection import Collection  # noqa: E402
from chromadb.config import Settings  # noqa: E402

CORPUS = ROOT / "tests" / "service" / "knowledge_bases" / "corpus"
CALLS = ("upsert", "update", "delete", "modify", "get", "query")


class Probe:
    """A thread that ticks every 0.5 ms; the gaps between its ticks are how long it could not run."""

    def __init__(self) -> None:
        self.gaps: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._tick, daemon=True)

    def _tick(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            now = time.perf_counter()
            self.gaps.append(now - last)
            last = now
            time.sleep(0.0005)

    def __enter__(self) -> Probe:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def timed_calls() -> Iterator[dict[str, list[float]]]:
    """Every Chroma collection call of the listed kinds, timed."""
    seen: dict[str, list[float]] = defaultdict(list)
    originals = {name: getattr(Collection, name) for name in CALLS}
    for name, original in originals.items():

        def wrapped(self: Collection, *args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return _original(self, *args, **kwargs)
            finally:
                seen[_name].append(time.perf_counter() - started)

        setattr(Collection, name, wrapped)
    try:
        yield seen
    finally:
        for name, original in originals.items():
            setattr(Collection, name, original)


def _unit(rng: np.random.Generator, n: int) -> np.ndarray:
    v = rng.standard_normal((n, 384)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def chroma_calls() -> None:
    client = chromadb.PersistentClient(path=tempfile.mkdtemp(), settings=Settings(anonymized_telemetry=False))
    collection = client.create_collection("probe", metadata={"hnsw:space": "cosine"})
    rng = np.random.default_rng(0)
    for start in range(0, 5000, 500):
        ids = [f"r{i}" for i in range(start, start + 500)]
        metadatas: Any = [{"state": "live", "doc_id": f"d{i}"} for i in range(start, start + 500)]
        collection.add(ids=ids, embeddings=_unit(rng, 500), documents=["some words of text " * 40] * 500, metadatas=metadatas)
    print("Chroma calls on 5,000 records, one at a time (call ms / longest probe stall ms, p50 of 10):")
    counter = iter(range(10**6))

    def upsert(n: int) -> Callable[[], object]:
        def run() -> object:
            ids = [f"n{next(counter)}" for _ in range(n)]
            metadatas: Any = [{"state": "pending"}] * n
            collection.upsert(ids=ids, embeddings=_unit(rng, n), documents=["new text " * 60] * n, metadatas=metadatas)
            return ids

        return run

    cases: dict[str, Callable[[], object]] = {
        "upsert 8": upsert(8),
        "upsert 64": upsert(64),
        "update 8": lambda: collection.update(ids=[f"r{i}" for i in range(8)], metadatas=[{"state": "live"}] * 8),
        "update 64": lambda: collection.update(ids=[f"r{i}" for i in range(64)], metadatas=[{"state": "live"}] * 64),
        "query": lambda: collection.query(query_embeddings=_unit(rng, 1), n_results=50, include=["distances"]),
        "get 1,000 live": lambda: collection.get(where={"state": "live"}, include=["documents", "metadatas"], limit=1000),
    }
    for name, call in cases.items():
        took, stalls = [], []
        for _ in range(10):
            with Probe() as probe:
                time.sleep(0.005)
                started = time.perf_counter()
                call()
                took.append(time.perf_counter() - started)
                time.sleep(0.005)
            stalls.append(max(probe.gaps))
        print(f"  {name:<16} {statistics.median(took) * 1e3:7.1f} / {statistics.median(stalls) * 1e3:6.1f}")


def ingestion(fill: int, docs: int, flip: bool) -> None:
    from service.embeddings.model import Embedder
    from service.knowledge_bases.chunking import chunk_document
    from service.knowledge_bases.index import KnowledgeBaseIndex
    from service.knowledge_bases.parsers import parse_file
    from service.knowledge_bases.writes import WritePlan

    client = chromadb.PersistentClient(path=tempfile.mkdtemp(), settings=Settings(anonymized_telemetry=False))
    embedder = Embedder(None)
    embedder.encode(["warm up"])
    kb = KnowledgeBaseIndex(client, "bench", embedder, sole_writer=True)
    files = sorted(CORPUS.glob("*.md"))

    def ingest(name: str, path: Path) -> None:
        items = [(doc, chunk_document(doc, 40, 8, embedder.model_name)) for doc in parse_file(path.read_bytes(), name)]
        kb.upsert_documents(items)

    for i in range(fill):
        ingest(f"fill{i}-{files[i % len(files)].name}", files[i % len(files)])
    kb._snapshot(fresh=True)
    adds_only = WritePlan.adds_only
    if flip:
        WritePlan.adds_only = lambda self, max_batch: False  # type: ignore[method-assign]
    try:
        with timed_calls() as calls, Probe() as probe:
            started = time.perf_counter()
            for i in range(docs):
                ingest(f"new{i}-{files[i % len(files)].name}", files[i % len(files)])
                kb._snapshot()  # what the next search does: rebuild BM25 (inline or in the background)
            took = time.perf_counter() - started
    finally:
        WritePlan.adds_only = adds_only  # type: ignore[method-assign]
    stalls = sorted(probe.gaps)
    how = "pending, then flipped" if flip else "live in one call"
    print(f"\n{docs} documents written {how}, {kb.count()} live chunks at the end, in {took:.1f} s")
    print(f"  probe stalls over 10 ms: {sum(1 for gap in stalls if gap > 0.01)}, longest {stalls[-1] * 1e3:.0f} ms")
    for name, seconds in sorted(calls.items()):
        print(
            f"  {name:<7} {len(seconds):4} calls, p50 {statistics.median(seconds) * 1e3:6.1f} ms, max {max(seconds) * 1e3:6.1f}"
        )


def rebuilds(sizes: list[int]) -> None:
    import bm25s

    from service.knowledge_bases.lexical import LexicalIndex, tokenize

    paragraphs = [p for path in sorted(CORPUS.glob("*.md")) for p in path.read_text(encoding="utf-8").split("\n\n") if p]
    print("\nBM25 after 5 new chunks, CPU ms: rebuilt / from scratch / bm25s from scratch")
    for n in sizes:
        texts = {f"c{i}": f"{paragraphs[i % len(paragraphs)]} unique{i}" for i in range(n)}
        started = time.process_time()
        old = LexicalIndex(texts.items())
        scratch = time.process_time() - started
        started = time.process_time()
        reference = bm25s.BM25()
        reference.index([tokenize(text) or [""] for text in texts.values()], show_progress=False)
        theirs = time.process_time() - started
        grown = {**texts, **{f"new{j}": f"{paragraphs[j]} fresh" for j in range(5)}}
        started = time.process_time()
        LexicalIndex.rebuilt(old, list(grown), grown.__getitem__, lambda c, t=texts, g=grown: t.get(c) == g[c])
        rebuilt = time.process_time() - started
        print(f"  {n:>7} chunks  {rebuilt * 1e3:8.1f} / {scratch * 1e3:8.1f} / {theirs * 1e3:8.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fill", type=int, default=40, help="corpus documents in the knowledge base before")
    parser.add_argument("--docs", type=int, default=20, help="documents ingested while the probe runs")
    parser.add_argument("--chunks", type=int, nargs="+", default=[330, 5000, 20000])
    args = parser.parse_args()
    chroma_calls()
    ingestion(args.fill, args.docs, flip=True)
    ingestion(args.fill, args.docs, flip=False)
    rebuilds(args.chunks)


if __name__ == "__main__":
    main()
