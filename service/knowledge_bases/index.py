"""A knowledge base as one Chroma collection: content-hash upserts, dense and hybrid search.

How a document is replaced without queries ever seeing half of it
-----------------------------------------------------------------
Every chunk is one Chroma record whose id is ``<chunk_id>@<record hash>`` (hash of the text,
heading, offsets and model), and whose metadata carries ``state``: ``live``, ``pending`` or ``stale``.
Queries drop every hit that is not ``live`` (dense: after the HNSW search, over-fetching when
needed; BM25: its snapshot holds only live records). Upserting a document then goes:

1. read the document's existing records; records whose id is unchanged stay as they are;
2. write new records as ``pending`` (invisible), reusing the stored vector of any record with the
   same content hash and embedding only the rest; when no record is to be removed and all new ones fit in one
   call, that one call writes them ``live`` instead and step 3 is skipped (a Chroma write holds the GIL for
   10-20 ms a call and ~1 ms more per upserted record, and every search of this process waits it out: ADR 0029);
3. flip: ONE ``update`` call turns the new records ``live`` and the orphaned ones ``stale``, so a
   query sees the old version or the new one, never a mix (a document with more than
   ``max_batch_size`` changed records needs several calls; many documents share calls, whole);
4. bump the collection's ``kb_version`` so BM25 snapshots rebuild, then delete the stale records.

A crash between steps leaves only invisible pending or stale records, which the next upsert of
that document removes. One process writes a collection at a time (see ARCHITECTURE).
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.errors import ChromaError, NotFoundError

from service.embeddings.model import Embedder
from service.knowledge_bases.chunking import Chunk
from service.knowledge_bases.defaults import collection_name
from service.knowledge_bases.embeddings import KnowledgeBaseEmbeddingFunction
from service.knowledge_bases.fusion import dense_weight
from service.knowledge_bases.lexical import LexicalIndex
from service.knowledge_bases.parsers import ParsedDocument
from service.knowledge_bases.search import (
    CANDIDATES,
    MODES,
    Hit,
    Mode,
    dense_side,
    lexical_side,
    lexical_text,
    ranking,
    read_ahead,
    read_hits,
    snapshot_hits,
)
from service.knowledge_bases.snapshot import Snapshot, SnapshotCache, Visibility, read_vectors
from service.knowledge_bases.writes import WRITE_BATCH, WritePlan, batches

__all__ = ["MODES", "DocumentInfo", "Hit", "KnowledgeBaseIndex", "Mode", "UpsertResult", "collection_name"]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class UpsertResult:
    """Chunks embedded now, chunks whose stored vector was reused, and old records removed."""

    embedded: int
    skipped: int
    removed: int


@dataclass(frozen=True)
class DocumentInfo:
    doc_id: str
    source: str
    chunks: int


_snapshots = SnapshotCache()
_visibility = Visibility()  # this process's flips and deletes, per collection id
VERSION_SECONDS = 1.0
MEMORY_VECTORS = 10_000  # an exact snapshot of at most this many records holds their vectors (~15 MiB at 384 floats)
_versions: dict[str, tuple[float, str]] = {}  # collection id -> (when read, write token)


def _token(metadata: Any) -> str:
    metadata = metadata or {}
    return f"{metadata.get('kb_version', 0)}:{metadata.get('kb_write', '')}"


class KnowledgeBaseIndex:
    """Ingestion and search for one knowledge base, over any Chroma client (persistent or HTTP)."""

    def __init__(self, client: ClientAPI, name: str, embedder: Embedder, *, sole_writer: bool = False) -> None:
        """``sole_writer``: no other process writes the collection (the worker's locked local store), so a search may
        read its hits from this process's exact BM25 snapshot instead of from Chroma (snapshot.py)."""
        self.client = client
        self.sole_writer = sole_writer
        self.name = name
        self.embedder = embedder
        self.collection_name = collection_name(name)
        self._function = KnowledgeBaseEmbeddingFunction(embedder.model_name)
        self._collection: Collection | None = None

    # -- collection lifecycle -------------------------------------------------------------------
    def ensure(self) -> Collection:
        """The collection, created on first use with our embedding function and cosine space."""
        if self._collection is None:
            try:
                self._collection = self._get()
            except NotFoundError:
                try:
                    self._collection = self.client.create_collection(
                        self.collection_name,
                        embedding_function=self._function,  # type: ignore[arg-type]
                        configuration={"hnsw": {"space": "cosine"}},
                        metadata={"kb_name": self.name, "kb_version": 0, "kb_write": ""},
                    )
                except ChromaError:  # created meanwhile by another process
                    self._collection = self._get()
        return self._collection

    def _get(self) -> Collection:
        return self.client.get_collection(self.collection_name, embedding_function=self._function)  # type: ignore[arg-type]

    def drop(self) -> None:
        """Delete the collection and everything in it (no error if it does not exist)."""
        with contextlib.suppress(NotFoundError, ValueError):
            key = str(self._get().id)
            _snapshots.forget(key)
            _versions.pop(key, None)
            self.client.delete_collection(self.collection_name)
        self._collection = None

    def _version(self) -> str:
        """The write token of the collection: this process's own writes at once, another process's within a second.

        Reading it from Chroma is a get_collection call (~0.4 ms, a twentieth of a search); a search reads it
        at most once per VERSION_SECONDS. A token that is a second late only delays a BM25 rebuild: every hit
        is read back from Chroma before it is returned (or from an exact snapshot, which only the collection's only
        writer has, and whose own writes it knows at once), so a removed chunk never comes back.
        """
        key = str(self.ensure().id)
        now = time.monotonic()
        seen = _versions.get(key)
        if seen is not None and now - seen[0] < VERSION_SECONDS:
            return seen[1]
        version = _token(self._get().metadata)
        _versions[key] = (now, version)
        return version

    def _bump(self, collection: Collection) -> None:
        metadata = dict(self._get().metadata or {})
        # The random part keeps two writers that both read version n from sharing n + 1.
        metadata.update(kb_version=int(metadata.get("kb_version", 0)) + 1, kb_write=uuid.uuid4().hex)
        collection.modify(metadata=metadata)
        _versions[str(collection.id)] = (time.monotonic(), _token(metadata))

    # -- writes ---------------------------------------------------------------------------------
    def upsert_document(self, doc: ParsedDocument, chunks: list[Chunk], progress: Progress | None = None) -> UpsertResult:
        """Make ``chunks`` the document's only chunks, embedding only what changed."""
        return self.upsert_documents([(doc, chunks)], progress)[0]

    def upsert_documents(
        self, items: list[tuple[ParsedDocument, list[Chunk]]], progress: Progress | None = None
    ) -> list[UpsertResult]:
        """``upsert_document`` for many documents with one embedding pass (batches pad less)."""
        if len({doc.doc_id for doc, _ in items}) < len(items):
            raise ValueError("each document may appear once per upsert_documents call")
        collection = self.ensure()
        total = sum(len(chunks) for _, chunks in items)
        plan = WritePlan(collection, [(doc.doc_id, chunks) for doc, chunks in items])
        texts = plan.texts_to_embed
        skipped = total - len(texts)
        report = (lambda done, _: progress(skipped + done, total)) if progress else None
        vectors = self.embedder.encode_many(texts, report) if texts else np.zeros((0, 0), np.float32)
        if any(change.changed for change in plan.documents):
            max_batch = self.client.get_max_batch_size()
            if plan.adds_only(max_batch):  # new records only, in one call: written live, no flip (ADR 0029)
                with _visibility.change(str(collection.id)):
                    plan.write(collection, vectors, "live")
                    self._bump(collection)
            else:
                plan.write(collection, vectors)
                with _visibility.change(str(collection.id)):
                    plan.flip(collection, max_batch)
                    self._bump(collection)  # right after the flip: BM25 snapshots follow the dense view
                plan.remove_orphans(collection)
        if progress:
            progress(total, total)
        return [UpsertResult(change.embedded, change.skipped, len(change.orphans)) for change in plan.documents]

    def delete_document(self, doc_id: str) -> int:
        """Remove a document's chunks (hidden from queries in one step); returns how many were removed."""
        collection = self.ensure()
        ids = collection.get(where={"doc_id": doc_id}, include=[])["ids"]
        if not ids:
            return 0
        with _visibility.change(str(collection.id)):
            for batch in batches(ids, self.client.get_max_batch_size()):
                collection.update(ids=list(batch), metadatas=[{"state": "stale"}] * len(batch))
            self._bump(collection)
        for batch in batches(ids):
            collection.delete(ids=list(batch))
        return len(ids)

    # -- reads ----------------------------------------------------------------------------------
    def list_documents(self) -> list[DocumentInfo]:
        """Live documents with their chunk counts, sorted by id."""
        counts: dict[str, list[Any]] = {}
        for meta in self._snapshot(fresh=True).metadatas.values():
            entry = counts.setdefault(meta["doc_id"], [meta["source"], 0])
            entry[1] += 1
        return [DocumentInfo(doc_id, source, n) for doc_id, (source, n) in sorted(counts.items())]

    def count(self) -> int:
        """Number of live chunks (records of writes in flight are not counted)."""
        collection = self.ensure()
        hidden: Any = {"state": {"$ne": "live"}}
        return collection.count() - len(collection.get(where=hidden, include=[])["ids"])

    def refresh(self) -> None:
        """Bring BM25 up to date now (after an ingest job, before an evaluation)."""
        self._snapshot(fresh=True)

    def query(self, q: str, k: int = 5, mode: Mode = "hybrid", embedding: Sequence[float] | None = None) -> list[Hit]:
        """The ``k`` best chunks for ``q``; ``embedding`` skips encoding ``q`` (benchmarks, batch eval)."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if k <= 0 or (not q.strip() and embedding is None):
            return []
        collection = self.ensure()
        key = str(collection.id)
        snapshot = self._snapshot()
        exact = self.sole_writer and snapshot.stamp is not None and snapshot.stamp == _visibility.stamp(key)
        known = list(embedding) if embedding is not None else self.embedder.cached_query(q)
        embed = known if known is not None else (lambda: self.embedder.encode_query(q))
        memory = snapshot if exact and snapshot.vectors is not None else None
        n = max(k, CANDIDATES)
        dense = dense_side(collection, memory, embed, n, mode)
        weight = dense_weight(q, self.embedder.tokenizer)
        lexical = lexical_side(mode, snapshot, q, n)
        # Vectors in memory give every cosine; else BM25-only hits' vectors are read while the question is embedded.
        ahead = read_ahead(collection, snapshot, mode, lexical, k) if exact and memory is None and not dense.done() else None
        ranked, vector = ranking(mode, lexical, dense, k, weight)
        if exact:
            # No flip or delete since the snapshot loaded; a second reading after the hits proves none began meanwhile.
            hits = snapshot_hits(collection, snapshot, ranked, q, vector, k, weight, ahead)
            if hits is not None and _visibility.stamp(key) == snapshot.stamp:
                return hits
        return read_hits(collection, snapshot, ranked, q, vector, k, weight)

    def _snapshot(self, fresh: bool = False) -> Snapshot:
        """The BM25 snapshot: current, or (big KBs, ``fresh=False``) recent while it rebuilds."""
        collection = self.ensure()
        key = str(collection.id)
        return _snapshots.get(
            key, self._version(), lambda version: _load(collection, version, self.sole_writer, _snapshots.current(key)), fresh
        )


def _load(collection: Collection, version: str, exact: bool = False, previous: Snapshot | None = None) -> Snapshot:
    """Every live record of ``collection`` (paged: one big read overflows SQLite's variable limit); with ``exact``,
    stamped when no change of the live records began or ended while it loaded. BM25 carries over the chunks whose
    text and metadata ``previous`` already had (only new or changed ones are tokenized again)."""
    key = str(collection.id)
    before = _visibility.stamp(key) if exact else None
    ids: list[str] = []
    texts: dict[str, str] = {}
    metadatas: dict[str, dict[str, Any]] = {}
    offset = 0
    while True:
        page = collection.get(where={"state": "live"}, include=["documents", "metadatas"], limit=WRITE_BATCH, offset=offset)
        for rid, text, meta in zip(page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True):
            ids.append(rid)
            texts[rid] = text or ""
            metadatas[rid] = dict(meta or {})
        if len(page["ids"]) < WRITE_BATCH:
            break
        offset += WRITE_BATCH
    # A small exact snapshot also holds the vectors: its searches rank by cosine in memory (Snapshot.nearest).
    vectors = read_vectors(collection, ids, previous, WRITE_BATCH) if before is not None and len(ids) <= MEMORY_VECTORS else None
    stamp = before if before is not None and _visibility.stamp(key) == before else None

    def unchanged(rid: str) -> bool:
        return previous is not None and previous.texts.get(rid) == texts[rid] and previous.metadatas.get(rid) == metadatas[rid]

    lexical = LexicalIndex.rebuilt(
        previous.lexical if previous is not None else None, ids, lambda rid: lexical_text(texts[rid], metadatas[rid]), unchanged
    )
    return Snapshot(version, ids, texts, metadatas, lexical, stamp, vectors if stamp is not None else None)
