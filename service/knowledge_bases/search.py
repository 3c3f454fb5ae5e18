"""Search in one collection: rank by mode, read the best records back (only live ones), score relevance.

Modes: ``dense`` (cosine over MiniLM vectors), ``lexical`` (BM25 with Hebrew prefix folding) and
``hybrid`` (both, fused by weighted RRF, see fusion.py). Whatever the mode, each hit carries its
mode's ranking ``score`` and a calibrated ``relevance`` (0..1) computed the same way in every mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from chromadb.api.models.Collection import Collection

from service.knowledge_bases.defaults import RRF_K
from service.knowledge_bases.fusion import relevance, rrf
from service.knowledge_bases.snapshot import Snapshot
from service.knowledge_bases.writes import batches

Mode = Literal["dense", "lexical", "hybrid"]
MODES: tuple[Mode, ...] = ("dense", "lexical", "hybrid")
CANDIDATES = 50  # per ranker before fusion


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


def nearest(collection: Collection, vector: list[float], n: int) -> list[tuple[str, float]]:
    """(record id, cosine) of the ``n`` nearest live records."""
    query_vector = np.asarray([vector], dtype=np.float32)
    fetch = n
    while True:
        result = collection.query(query_embeddings=query_vector, n_results=fetch, include=["metadatas", "distances"])
        ids = result["ids"][0]
        found = [
            (rid, 1.0 - float(distance))
            for rid, meta, distance in zip(ids, (result["metadatas"] or [[]])[0], (result["distances"] or [[]])[0], strict=True)
            if meta and meta.get("state") == "live"
        ]
        # Pending/stale records exist only while a write is in flight: fetch deeper only then.
        if len(found) >= n or len(ids) < fetch or fetch >= 16 * n:
            return found[:n]
        fetch *= 4


def ranking(
    mode: Mode, collection: Collection, snapshot: Snapshot, q: str, vector: list[float], k: int, weight: float
) -> list[tuple[str, float]]:
    """Record ids with their mode's score, best first; liveness is checked when they are read back."""
    if mode == "dense":
        return nearest(collection, vector, k)
    n = max(k, CANDIDATES)
    lexical = snapshot.lexical.search(q, n)
    if mode == "lexical":
        return lexical
    if mode != "hybrid":
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    # Candidates are ids only (cheap at 100k chunks); only the fused top ones are read back.
    dense = collection.query(query_embeddings=np.asarray([vector], dtype=np.float32), n_results=n, include=[])
    return rrf([dense["ids"][0], [rid for rid, _ in lexical]], [weight, 1.0], RRF_K)


def read_hits(
    collection: Collection,
    snapshot: Snapshot,
    ranked: Sequence[tuple[str, float]],
    q: str,
    vector: list[float],
    k: int,
    weight: float,
) -> list[Hit]:
    """The first ``k`` live records of ``ranked`` as hits, with relevance (a stale BM25 snapshot is harmless)."""
    found: list[tuple[str, dict[str, Any], float, float]] = []
    query_vector = np.asarray(vector, dtype=np.float32)
    for window in batches(ranked, 2 * k):
        got = collection.get(ids=[rid for rid, _ in window], include=["documents", "metadatas", "embeddings"])
        embeddings = got["embeddings"] if got["embeddings"] is not None else [None] * len(got["ids"])
        records = {
            rid: (text or "", dict(meta or {}), vec)
            for rid, text, meta, vec in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], embeddings, strict=True)
        }
        for rid, score in window:
            text, meta, vec = records.get(rid, ("", {}, None))
            if meta.get("state") == "live":
                cosine = float(np.dot(np.asarray(vec, dtype=np.float32), query_vector)) if vec is not None else 0.0
                found.append((text, meta, score, cosine))
        if len(found) >= k:
            break
    found = found[:k]
    coverage = snapshot.lexical.coverage(q, [lexical_text(text, meta) for text, meta, _, _ in found])
    return [
        to_hit(text, meta, score, relevance(cosine, share, weight))
        for (text, meta, score, cosine), share in zip(found, coverage, strict=True)
    ]


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
