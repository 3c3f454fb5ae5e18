"""The records an upsert writes, keeps and removes (see ``service.knowledge_bases.index`` for the protocol).

A plan covers many documents with a handful of Chroma calls (one read of the existing records,
batched writes, flips and deletes): per-call overhead, not embedding, dominated ingesting many
small documents one call sequence at a time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from chromadb.api.models.Collection import Collection

from service.knowledge_bases.chunking import Chunk

WRITE_BATCH = 5000  # under Chroma's max batch (5,461 here)
READ_DOCS = 200  # doc ids per `$in` read


def record_id(chunk: Chunk) -> str:
    """``<chunk_id>@<hash of text+model, heading, offsets, source>``: equal ids mean nothing to rewrite."""
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


@dataclass
class DocumentChange:
    """One document's part of a plan."""

    doc_id: str
    chunks: int
    new: list[tuple[str, Chunk]] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    embedded: int = 0

    @property
    def skipped(self) -> int:
        return self.chunks - self.embedded

    @property
    def changed(self) -> bool:
        return bool(self.new or self.orphans)


class WritePlan:
    """Plans the upsert of several documents from their existing records, then commits it in order."""

    def __init__(self, collection: Collection, items: Sequence[tuple[str, list[Chunk]]]) -> None:
        existing: dict[str, dict[str, dict[str, Any]]] = {doc_id: {} for doc_id, _ in items}
        for group in batches([doc_id for doc_id, _ in items], READ_DOCS):
            where: Any = {"doc_id": {"$in": list(group)}}
            got = collection.get(where=where, include=["metadatas"])
            for rid, meta in zip(got["ids"], got["metadatas"] or [], strict=True):
                existing[str((meta or {}).get("doc_id"))][rid] = dict(meta or {})
        self.documents: list[DocumentChange] = []
        sources: dict[str, str] = {}  # new record id -> existing record whose vector it reuses
        for doc_id, chunks in items:
            records = existing[doc_id]
            wanted = {record_id(chunk): chunk for chunk in chunks}
            # Any record not being removed has a valid vector, pending ones from a crashed write included.
            by_hash = {meta.get("content_hash"): rid for rid, meta in records.items() if meta.get("state") != "stale"}
            change = DocumentChange(doc_id, len(chunks))
            change.new = [(rid, c) for rid, c in wanted.items() if records.get(rid, {}).get("state") != "live"]
            change.orphans = [rid for rid in records if rid not in wanted]
            for rid, chunk in change.new:
                if chunk.content_hash in by_hash:
                    sources[rid] = by_hash[chunk.content_hash]
            self.documents.append(change)
        stored: dict[str, Any] = {}
        for group in batches(sorted(set(sources.values()))):
            got = collection.get(ids=list(group), include=["embeddings"])
            stored.update(zip(got["ids"], got["embeddings"] if got["embeddings"] is not None else [], strict=True))
        self.vectors: dict[str, Any] = {rid: stored[src] for rid, src in sources.items() if src in stored}
        self.to_embed: list[tuple[str, str]] = []  # (record id, text)
        for change in self.documents:
            missing = [(rid, chunk.embedding_text) for rid, chunk in change.new if rid not in self.vectors]
            change.embedded = len(missing)
            self.to_embed += missing

    @property
    def texts_to_embed(self) -> list[str]:
        return [text for _, text in self.to_embed]

    def adds_only(self, max_batch: int) -> bool:
        """Whether the plan only adds records (no document loses one) and all of them fit in one call: then one
        upsert can write them ``live``, as atomic as the flip that would otherwise follow (``write``)."""
        if any(change.orphans for change in self.documents):
            return False
        return sum(len(change.new) for change in self.documents) <= min(max_batch, WRITE_BATCH)

    def write(self, collection: Collection, embedded: np.ndarray, state: str = "pending") -> None:
        """Add the new records, by default as ``pending``: stored, embedded, invisible to queries."""
        self.vectors.update(zip((rid for rid, _ in self.to_embed), embedded, strict=True))
        new = [pair for change in self.documents for pair in change.new]
        for batch in batches(new):
            collection.upsert(
                ids=[rid for rid, _ in batch],
                embeddings=np.asarray([self.vectors[rid] for rid, _ in batch], dtype=np.float32),
                documents=[chunk.text for _, chunk in batch],
                metadatas=[_metadata(chunk, state) for _, chunk in batch],
            )

    def flip(self, collection: Collection, max_batch: int) -> None:
        """New records live and orphans stale, each document inside one update call.

        Documents are packed whole into calls of at most ``max_batch`` records; only a document
        with more changed records than that spans calls (and is then not switched atomically).
        """
        call: list[tuple[str, str]] = []
        for change in self.documents:
            flips = [(rid, "live") for rid, _ in change.new] + [(rid, "stale") for rid in change.orphans]
            if call and len(call) + len(flips) > max_batch:
                self._update(collection, call, max_batch)
                call = []
            call += flips
        self._update(collection, call, max_batch)

    @staticmethod
    def _update(collection: Collection, flips: list[tuple[str, str]], max_batch: int) -> None:
        for batch in batches(flips, max_batch):
            collection.update(ids=[rid for rid, _ in batch], metadatas=[{"state": state} for _, state in batch])

    def remove_orphans(self, collection: Collection) -> None:
        orphans = [rid for change in self.documents for rid in change.orphans]
        for batch in batches(orphans):
            collection.delete(ids=list(batch))
