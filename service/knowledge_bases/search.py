"""Search in one collection: rank by mode, read the best records back (only live ones), score relevance.

Modes: ``dense`` (cosine over MiniLM vectors), ``lexical`` (BM25 with Hebrew prefix folding) and
``hybrid`` (both, fused by weighted RRF, see fusion.py). Whatever the mode, each hit carries its
mode's ranking ``score`` and a calibrated ``relevance`` (0..1) computed the same way in every mode.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple

import numpy as np
from chromadb.api.models.Collection import Collection

from service.knowledge_bases.defaults import RRF_K
from service.knowledge_bases.fusion import relevance, rrf
from service.knowledge_bases.snapshot import Snapshot
from service.knowledge_bases.writes import batches

Mode = Literal["dense", "lexical", "hybrid"]
MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")
CANDIDATES = 50  # per ranker before fusion
# Threads that embed questions and run dense searches beside the BM25 ranking; more searches at once queue here.
_DENSE_POOL = ThreadPoolExecutor(max_workers=4, thread_name_prefix="kb-dense")


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk; ``doc`` is the source file name shown and cited.

    ``score`` orders hits within one mode (cosine, BM25 or RRF); ``relevance`` estimates the chance
    that the hit's document answers the question, comparable across questions (None: not computed).
    """

    doc: str
    doc_id: str
    chunk: int
    score: float
    text: str
    heading: str
    start: int
    end: int
    relevance: float | None = None

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}#{self.chunk}"


def lexical_text(text: str, meta: dict[str, Any]) -> str:
    # The heading applies to every chunk of its section; BM25 should see it in each one.
    return f"{meta.get('heading', '')}\n{text}"


def nearest(collection: Collection, vector: list[float], n: int, start: int) -> list[tuple[str, float]]:
    """(record id, cosine) of the ``n`` nearest live records among at most 16 × ``start`` nearest records."""
    query_vector = np.asarray([vector], dtype=np.float32)
    fetch = start
    while True:
        result = collection.query(query_embeddings=query_vector, n_results=fetch, include=["metadatas", "distances"])
        ids = result["ids"][0]
        found = [
            (rid, 1.0 - float(distance))
            for rid, meta, distance in zip(ids, (result["metadatas"] or [[]])[0], (result["distances"] or [[]])[0], strict=True)
            if meta and meta.get("state") == "live"
        ]
        # Pending/stale records exist only while a write is in flight: fetch deeper only then.
        if len(found) >= n or len(ids) < fetch or fetch >= 16 * start:
            return found[:n]
        fetch *= 4


def dense_candidates(collection: Collection, vector: list[float], n: int) -> list[tuple[str, float]]:
    """(record id, cosine) of the ``n`` nearest records, live or not: distances only, no metadata read.

    Asking for metadata too costs ~1 ms more per search at 100,000 chunks; liveness is checked when
    the hits are read back (``read_hits``, or ``snapshot_hits`` from memory).
    """
    result = collection.query(query_embeddings=np.asarray([vector], dtype=np.float32), n_results=n, include=["distances"])
    return [(rid, 1.0 - float(d)) for rid, d in zip(result["ids"][0], (result["distances"] or [[]])[0], strict=True)]


@dataclass(frozen=True)
class Ranked:
    """Record ids with their mode's score, best first, and the cosines dense search already knows."""

    ids: list[tuple[str, float]]
    cosines: Mapping[str, float]
    complete: bool = True  # False: dense candidates were cut at a fixed depth (read back deeper if few are live)


Stored = Mapping[str, Any]  # record id -> its stored vector, as Chroma returned it


class Dense(NamedTuple):
    """The question's vector, its dense candidates (record id, cosine; best first) and the cosines known."""

    vector: list[float]
    candidates: list[tuple[str, float]]
    cosines: Mapping[str, float]
    live: bool  # every candidate is live (ranked in memory from an exact snapshot's vectors)


def dense_side(
    collection: Collection, memory: Snapshot | None, vector: list[float] | Callable[[], list[float]], n: int, mode: Mode
) -> Future[Dense]:
    """The question's vector and, unless ``mode`` is lexical, its ``n`` dense candidates: from ``memory``, an exact
    snapshot's vectors, when given (every record's cosine is then known), else from Chroma's vector index.

    When the vector is still to be computed (``vector`` is a function), this runs in a pool thread while the caller
    ranks by BM25 (``ranking``): embedding a question (ONNX) and Chroma's query release the GIL, so the two sides
    overlap (at 100,000 chunks ~4.8 ms of embedding and ~3.4 ms of vector query beside ~0.9 ms of BM25; ADR 0030).
    A known vector is searched with at once, in the caller's thread.
    """

    def run() -> Dense:
        known = vector() if callable(vector) else vector
        if memory is not None:
            nearest, cosines = memory.nearest(known, n)
            return Dense(known, nearest if mode != "lexical" else [], cosines, live=True)
        candidates = dense_candidates(collection, known, n) if mode != "lexical" else []
        return Dense(known, candidates, dict(candidates), live=False)

    if callable(vector):
        return _DENSE_POOL.submit(run)
    done: Future[Dense] = Future()
    done.set_result(run())
    return done


def lexical_side(mode: Mode, snapshot: Snapshot, q: str, n: int) -> list[tuple[str, float]]:
    """The ``n`` best (record id, BM25 score) of the snapshot, best first; none in dense mode."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    return snapshot.lexical.search(q, n) if mode != "dense" else []


def ranking(
    mode: Mode, lexical: list[tuple[str, float]], dense: Future[Dense], k: int, weight: float
) -> tuple[Ranked, list[float]]:
    """Ranked record ids and the question's vector; liveness is checked when the ids are read back (from Chroma or
    an exact snapshot). ``lexical`` is ``lexical_side``'s and ``dense`` is ``dense_side``'s for the same ``mode``
    and ``max(k, CANDIDATES)``."""
    n = max(k, CANDIDATES)
    side = dense.result()
    if mode == "dense":
        return Ranked(side.candidates, side.cosines, complete=side.live or len(side.candidates) < n), side.vector
    if mode == "lexical":
        return Ranked(lexical, side.cosines), side.vector
    # Candidates are ids only (cheap at 100k chunks); only the fused top ones are read back.
    fused = rrf([[rid for rid, _ in side.candidates], [rid for rid, _ in lexical]], [weight, 1.0], RRF_K)
    return Ranked(fused, side.cosines), side.vector


def read_ahead(collection: Collection, snapshot: Snapshot, mode: Mode, lexical: list[tuple[str, float]], k: int) -> Stored:
    """The stored vectors of the live BM25 candidates likely to become hits, read while the dense side still runs.

    Dense search gives its candidates' cosines; a hit that only BM25 found needs its vector read from Chroma for its
    relevance (0.5–0.8 ms of wall time for 1 to 10 ids at 100,000 chunks, ADR 0033). Read here, the call overlaps the
    question's embedding (ONNX releases the GIL) instead of following the fusion. In lexical mode the hits are the
    first ``k`` live candidates; in hybrid mode a BM25-only hit is usually among the first ``2 k`` (all 3,597 of them
    in 600 searches of the search bench's 100,000 chunks, k 3 to 10), and ``snapshot_hits`` reads any other it needs.
    """
    ids = [rid for rid, _ in lexical if rid in snapshot.metadatas][: k if mode == "lexical" else 2 * k]
    if not ids:
        return {}
    got = collection.get(ids=ids, include=["embeddings"])
    stored = got.get("embeddings")
    return {rid: vec for rid, vec in zip(got["ids"], stored, strict=True)} if stored is not None else {}


def read_hits(
    collection: Collection,
    snapshot: Snapshot,
    ranked: Ranked,
    q: str,
    vector: list[float],
    k: int,
    weight: float,
) -> list[Hit]:
    """The first ``k`` live records of ``ranked`` as hits, with relevance (a stale BM25 snapshot is harmless)."""
    found = _live(collection, ranked, vector, k)
    if len(found) < k and not ranked.complete:
        # Nearly all the nearest records are mid-write (pending or stale): search deeper, reading their states.
        deeper = nearest(collection, vector, k, start=4 * len(ranked.ids))
        found = _live(collection, Ranked(deeper, dict(deeper)), vector, k)
    return _scored(found, snapshot.lexical.coverage(q, [lexical_text(text, meta) for text, meta, _, _ in found]), weight)


def snapshot_hits(
    collection: Collection,
    snapshot: Snapshot,
    ranked: Ranked,
    q: str,
    vector: list[float],
    k: int,
    weight: float,
    ahead: Stored | None = None,
) -> list[Hit] | None:
    """``read_hits`` from an exact snapshot (see snapshot.py): liveness, texts and metadata come from memory, and
    Chroma is asked only for the vectors of hits whose cosine neither dense search nor ``ahead`` (``read_ahead``)
    gave. None when too few candidates are live and dense search was cut short: ``read_hits`` then searches deeper."""
    chosen: list[tuple[str, float]] = []
    for rid, score in ranked.ids:
        if rid in snapshot.metadatas:
            chosen.append((rid, score))
            if len(chosen) == k:
                break
    if len(chosen) < k and not ranked.complete:
        return None
    cosines = ranked.cosines
    unknown = [rid for rid, _ in chosen if rid not in cosines]
    if unknown:
        query_vector = np.asarray(vector, dtype=np.float32)
        cosines = dict(cosines)
        known = ahead or {}
        for rid in unknown:
            if rid in known:
                cosines[rid] = _cosine(known[rid], query_vector)
        unread = [rid for rid in unknown if rid not in known]
        if unread:
            got = collection.get(ids=unread, include=["embeddings"])
            stored = got.get("embeddings")
            for rid, vec in zip(got["ids"], stored if stored is not None else [None] * len(got["ids"]), strict=True):
                cosines[rid] = _cosine(vec, query_vector)
    found = [(snapshot.texts[rid], snapshot.metadatas[rid], score, cosines.get(rid, 0.0)) for rid, score in chosen]
    # The snapshot's BM25 counted these very texts: their coverage comes from its arrays, without tokenizing them.
    return _scored(found, snapshot.lexical.coverage_of(q, [rid for rid, _ in chosen]), weight)


def _scored(found: list[tuple[str, dict[str, Any], float, float]], coverage: list[float], weight: float) -> list[Hit]:
    return [
        to_hit(text, meta, score, relevance(cosine, share, weight))
        for (text, meta, score, cosine), share in zip(found, coverage, strict=True)
    ]


def _live(collection: Collection, ranked: Ranked, vector: list[float], k: int) -> list[tuple[str, dict[str, Any], float, float]]:
    """(text, metadata, score, cosine) of the first ``k`` live records; vectors are read only for unknown cosines."""
    found: list[tuple[str, dict[str, Any], float, float]] = []
    query_vector = np.asarray(vector, dtype=np.float32)
    for window in batches(ranked.ids, 2 * k):
        include: list[Any] = ["documents", "metadatas"]
        if any(rid not in ranked.cosines for rid, _ in window):
            include.append("embeddings")
        got = collection.get(ids=[rid for rid, _ in window], include=include)
        stored = got.get("embeddings")
        embeddings: Any = stored if stored is not None else [None] * len(got["ids"])
        records = {
            rid: (text or "", dict(meta or {}), vec)
            for rid, text, meta, vec in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], embeddings, strict=True)
        }
        for rid, score in window:
            text, meta, vec = records.get(rid, ("", {}, None))
            if meta.get("state") == "live":
                cosine = ranked.cosines.get(rid)
                if cosine is None:
                    cosine = _cosine(vec, query_vector)
                found.append((text, meta, score, cosine))
        if len(found) >= k:
            break
    return found[:k]


def _cosine(stored: Any, query_vector: np.ndarray) -> float:
    """Cosine of a stored (normalised) vector with the query's; 0.0 when Chroma returned no vector."""
    return float(np.dot(np.asarray(stored, dtype=np.float32), query_vector)) if stored is not None else 0.0


def to_hit(text: str, meta: Any, score: float, relevant: float | None = None) -> Hit:
    return Hit(
        doc=str(meta.get("source", "")),
        doc_id=str(meta.get("doc_id", "")),
        chunk=int(meta.get("chunk", 0)),
        score=score,
        text=text,
        heading=str(meta.get("heading", "")),
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
        relevance=relevant,
    )
