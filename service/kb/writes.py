"""The records one document upsert writes, keeps and removes (see ``service.kb.index`` for the protocol)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np
from chromadb.api.models.Collection import Collection

from service.kb.chunking import Chunk

WRITE_BATCH = 5000  # under Chroma's max batch (5,461 here)


def record_id(chunk: Chunk) -> str:
    key = "\x00".join((chunk.content_hash, chunk.heading, str(chunk.start), str(chunk.end), chunk.source))
    return f"{chunk.chunk_id}@{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"


def _metadata(chunk: Chunk, state: str) -> dict[str, Any]:
    return {
        "doc_id": chunk.doc_id,
        "source": chunk.source,
        "chunk": chunk.index,
        "heading": chunk.heading,
        "start": chunk.start,
        "end": chunk.end,
        "content_hash": chunk.content_hash,
        "state": state,
    }


def batches(items: Sequence[Any], size: int = WRITE_BATCH) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class DocumentWrite:
    """Plans one document's upsert from its existing records, then commits it in the safe order."""

    def __init__(self, collection: Collection, doc_id: str, chunks: list[Chunk]) -> None:
        existing = collection.get(where={"doc_id": doc_id}, include=["metadatas"])
        metadatas = [meta or {} for meta in existing["metadatas"] or []]
        states = {rid: meta.get("state") for rid, meta in zip(existing["ids"], metadatas, strict=True)}
        # Any record not being removed has a valid vector, pending ones from a crashed write included.
        by_hash = {
            meta.get("content_hash"): rid
            for rid, meta in zip(existing["ids"], metadatas, strict=True)
            if meta.get("state") != "stale"
        }
        wanted = {record_id(chunk): chunk for chunk in chunks}
        self.new = [(rid, c) for rid, c in wanted.items() if states.get(rid) != "live"]
        self.orphans = [rid for rid in states if rid not in wanted]
        sources = {rid: by_hash.get(c.content_hash) for rid, c in self.new}
        reuse = sorted({src for src in sources.values() if src is not None})
        stored: dict[str, Any] = {}
        for batch in batches(reuse):
            got = collection.get(ids=list(batch), include=["embeddings"])
            stored.update(zip(got["ids"], got["embeddings"] if got["embeddings"] is not None else [], strict=True))
        self.vectors: dict[str, Any] = {rid: stored[src] for rid, src in sources.items() if src in stored}
        self.to_embed = [rid for rid, _ in self.new if rid not in self.vectors]
        self.texts_to_embed = [wanted[rid].text for rid in self.to_embed]
        self.reused = len(chunks) - len(self.to_embed)
        self.changed = bool(self.new or self.orphans)

    def write_pending(self, collection: Collection, embedded: np.ndarray) -> None:
        """Add the new records as ``pending``: stored, embedded, invisible to queries."""
        self.vectors.update(zip(self.to_embed, embedded, strict=True))
        for batch in batches(self.new):
            collection.upsert(
                ids=[rid for rid, _ in batch],
                embeddings=np.asarray([self.vectors[rid] for rid, _ in batch], dtype=np.float32),
                documents=[chunk.text for _, chunk in batch],
                metadatas=[_metadata(chunk, "pending") for _, chunk in batch],
            )

    def flip(self, collection: Collection, max_batch: int) -> None:
        """New records live and orphans stale in one update call (per ``max_batch`` records)."""
        flips = [(rid, "live") for rid, _ in self.new] + [(rid, "stale") for rid in self.orphans]
        for batch in batches(flips, max_batch):
            collection.update(ids=[rid for rid, _ in batch], metadatas=[{"state": state} for _, state in batch])

    def remove_orphans(self, collection: Collection) -> None:
        for batch in batches(self.orphans):
            collection.delete(ids=list(batch))
