"""Per-process BM25 snapshots of each collection's live chunks, refreshed when a write bumps its version.

Rebuilding is cheap for a small knowledge base (a few milliseconds: done inline, so BM25 is always
current) and slow for a bigger one (~0.3 s at 5,000 chunks, ~25 s at 100,000 on 2 cores for a first build: mostly
reading the texts back from Chroma, then tokenizing; a rebuild tokenizes only the chunks the snapshot it replaces
did not have, see ``LexicalIndex.rebuilt``). A search never waits for such a build: it answers from the
previous snapshot while one background thread rebuilds, at most every ``REBUILD_SPACING`` times the last build's duration so
a stream of writes cannot keep a core busy. A stale snapshot is safe: a search re-reads
every hit from Chroma before returning it unless the snapshot is exact (see ``KnowledgeBaseIndex.query``), so a removed chunk
never comes back; a new chunk is found by dense search until BM25 catches up.

A snapshot is also *exact* (``stamp`` set) when this process is the collection's only writer and no change of which
records are live began or ended while it loaded: then it holds exactly the live records, with their texts and
metadata, until the next such change (``Visibility``), and a search reads its hits from it instead of from Chroma.
An exact snapshot of a small knowledge base (``index.MEMORY_VECTORS``) also holds the records' vectors: its searches
rank by cosine in memory (``Snapshot.nearest``: 0.14 ms at 670 chunks, where Chroma's query takes ~2.7 ms; ADR 0031),
and a rebuild reads back only the vectors of records it did not hold.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np
from chromadb.api.models.Collection import Collection

from service.knowledge_bases.lexical import LexicalIndex, best

# Builds faster than this happen inside the query that needs them. A search during an ingestion would
# otherwise pay a whole rebuild after each document (p99 344 ms at 5,000 chunks with 0.5 s here; ADR 0017).
INLINE_SECONDS = 0.05
REBUILD_SPACING = 2.0  # a background build waits this many times the last build's duration
logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """The live records of one collection version, and BM25 over them."""

    version: str
    ids: list[str]
    texts: dict[str, str]
    metadatas: dict[str, dict[str, Any]]
    lexical: LexicalIndex
    stamp: int | None = None  # the Visibility stamp it is exact at; None: it may differ from the live records
    vectors: np.ndarray | None = None  # an exact snapshot's vectors (float32, one row per id) when it is small

    def nearest(self, vector: Sequence[float], n: int) -> tuple[list[tuple[str, float]], Cosines]:
        """The ``n`` records nearest ``vector`` by cosine, best first (equal cosines in row order), and the cosine of
        every record; only for a snapshot with ``vectors``. Exact, where Chroma's HNSW search is approximate."""
        assert self.vectors is not None
        cosines = self.vectors @ np.asarray(vector, dtype=np.float32)
        rows = best(cosines, n, positive=False)
        return [(self.ids[row], float(cosines[row])) for row in rows.tolist()], Cosines(self.lexical.rows, cosines)


def read_vectors(collection: Collection, ids: list[str], previous: Snapshot | None, batch: int) -> np.ndarray | None:
    """The vectors of the records ``ids``, one row each; the rows ``previous`` holds are copied from it (a record's id
    names its text, heading, offsets and model, hence its vector), the others read from Chroma in slices of
    ``batch``. None when there is no record (nothing to rank) or one was gone by then (a change began: the snapshot
    will not be exact anyway)."""
    if not ids:
        return None
    kept, rows = (
        (previous.vectors, previous.lexical.rows) if previous is not None and previous.vectors is not None else (None, {})
    )
    carried = [(row, rows[rid]) for row, rid in enumerate(ids) if rid in rows]
    missing = [(row, rid) for row, rid in enumerate(ids) if rid not in rows]
    read: dict[str, Any] = {}
    for start in range(0, len(missing), batch):
        got = collection.get(ids=[rid for _, rid in missing[start : start + batch]], include=["embeddings"])
        stored = got.get("embeddings")
        read.update(zip(got["ids"], stored if stored is not None else [None] * len(got["ids"]), strict=True))
    if any(read.get(rid) is None for _, rid in missing):
        return None
    dimension = kept.shape[1] if kept is not None else len(read[missing[0][1]])
    vectors = np.empty((len(ids), dimension), dtype=np.float32)
    if kept is not None and carried:
        to, held = np.array(carried, dtype=np.int64).T
        vectors[to] = kept[held]
    if missing:
        vectors[[row for row, _ in missing]] = np.asarray([read[rid] for _, rid in missing], dtype=np.float32)
    return vectors


class Cosines(Mapping[str, float]):
    """Every record's cosine with one question, by record id (from ``Snapshot.nearest``)."""

    def __init__(self, rows: dict[str, int], cosines: np.ndarray) -> None:
        self._rows = rows
        self._cosines = cosines

    def __getitem__(self, rid: str) -> float:
        return float(self._cosines[self._rows[rid]])

    def __contains__(self, rid: object) -> bool:
        return rid in self._rows

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)


class Visibility:
    """Counts, per collection, this process's changes of which records are live (a flip, a delete), begun and ended.

    ``stamp`` is the number of changes begun, or None while one is in flight. Two equal stamps mean no change
    began between the two readings, so what was read between them was read from one state of the collection.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._begun: defaultdict[str, int] = defaultdict(int)
        self._ended: defaultdict[str, int] = defaultdict(int)

    @contextmanager
    def change(self, key: str) -> Iterator[None]:
        with self._lock:
            self._begun[key] += 1
        try:
            yield
        finally:
            with self._lock:
                self._ended[key] += 1

    def stamp(self, key: str) -> int | None:
        with self._lock:
            begun = self._begun[key]
            return begun if begun == self._ended[key] else None


Loader = Callable[[str], Snapshot]  # version -> snapshot of that version


class SnapshotCache:
    """Snapshots by collection id, each rebuilt inline or in the background as described above."""

    def __init__(self) -> None:
        self._snapshots: dict[str, Snapshot] = {}
        self._locks: defaultdict[str, threading.Lock] = defaultdict(threading.Lock)
        self._build_seconds: dict[str, float] = {}
        self._finished_at: dict[str, float] = {}
        self._building: set[str] = set()
        self._state = threading.Lock()  # guards _building/_finished_at; never held during a build

    def get(self, key: str, version: str, load: Loader, fresh: bool = False) -> Snapshot:
        """The snapshot of ``version``, or with ``fresh=False`` a recent one while a big KB rebuilds."""
        current = self._snapshots.get(key)
        if current is not None and current.version == version:
            return current
        if current is None or fresh or self._build_seconds.get(key, 0.0) < INLINE_SECONDS:
            return self._build(key, version, load)
        self._start_background(key, version, load)
        return current

    def current(self, key: str) -> Snapshot | None:
        """The snapshot searches of ``key`` read now, whatever its version (a loader builds on it)."""
        return self._snapshots.get(key)

    def _build(self, key: str, version: str, load: Loader) -> Snapshot:
        with self._locks[key]:  # one build per collection; other collections are not held up
            current = self._snapshots.get(key)
            if current is not None and current.version == version:
                return current
            started = time.monotonic()
            snapshot = load(version)
            self._build_seconds[key] = time.monotonic() - started
            self._finished_at[key] = time.monotonic()
            self._snapshots[key] = snapshot
            return snapshot

    def _start_background(self, key: str, version: str, load: Loader) -> None:
        with self._state:
            waited = time.monotonic() - self._finished_at.get(key, 0.0)
            if key in self._building or waited < REBUILD_SPACING * self._build_seconds.get(key, 0.0):
                return
            self._building.add(key)

        def run() -> None:
            try:
                self._build(key, version, load)
            except Exception:  # a failed refresh keeps the old snapshot; the next query retries
                logger.exception("rebuilding the BM25 snapshot of collection %s failed", key)
            finally:
                with self._state:
                    self._building.discard(key)

        threading.Thread(target=run, name=f"bm25-{key}", daemon=True).start()

    def forget(self, key: str) -> None:
        """Drop a collection's snapshot (the collection was deleted)."""
        self._snapshots.pop(key, None)
