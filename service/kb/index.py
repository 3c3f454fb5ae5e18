"""A knowledge base as one Chroma collection: content-hash upserts, dense and hybrid search.

How a document is replaced without queries ever seeing half of it
-----------------------------------------------------------------
Every chunk is one Chroma record whose id is ``<chunk_id>@<record hash>`` (hash of the text,
heading, offsets and model), and whose metadata carries ``state``: ``live``, ``pending`` or ``stale``.
Queries drop every hit that is not ``live`` (dense: after the HNSW search, over-fetching when
needed; BM25: its snapshot holds only live records). Upserting a document then goes:

1. read the document's existing records; records whose id is unchanged stay as they are;
2. write new records as ``pending`` (invisible), reusing the stored vector of any record with the
   same content hash and embedding only the rest;
3. flip: ONE ``update`` call turns the new records ``live`` and the orphaned ones ``stale``, so a
   query sees the old version or the new one, never a mix (beyond ``max_batch_size`` changed
   records the flip takes several calls);
4. delete the stale records, and bump the collection's ``kb_version`` so BM25 snapshots rebuild.

A crash between steps leaves only invisible pending or stale records, which the next upsert of
that document removes. One process writes a collection at a time (see ARCHITECTURE).
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import threading
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection
from chromadb.errors import ChromaError, NotFoundError

from service.kb.chunking import Chunk
from service.kb.embeddings import Embedder, KnowledgeBaseEmbeddingFunction
from service.kb.fusion import RRF_K, dense_weight, rrf
from service.kb.lexical import LexicalIndex
from service.kb.parsers import ParsedDocument

Mode = Literal["dense", "hybrid"]
Progress = Callable[[int, int], None]
WRITE_BATCH = 5000  # under Chroma's max batch (5,461 here)
CANDIDATES = 50  # per ranker before fusion


@dataclass(frozen=True)
class Hit:
    """One retrieved chunk; ``doc`` is the source file name shown and cited."""

    doc: str
    doc_id: str
    chunk: int
    score: float
    text: str
    heading: str
    start: int
    end: int

    @property
    def chunk_id(self) -> str:
        return f"{self.doc_id}#{self.chunk}"


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


@dataclass(frozen=True)
class _Snapshot:
    """The live records of one collection version, and BM25 over them."""

    ids: list[str]
    texts: dict[str, str]
    metadatas: dict[str, dict[str, Any]]
    lexical: LexicalIndex


_snapshots: dict[str, tuple[str, _Snapshot]] = {}  # collection id -> (version, snapshot)
_snapshot_lock = threading.Lock()


def collection_name(kb_name: str) -> str:
    """A valid, stable Chroma collection name for any KB name (3-512 chars of [a-z0-9-])."""
    ascii_name = unicodedata.normalize("NFKD", kb_name).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:48].strip("-")
    # The digest keeps distinct names distinct ("Q&A" vs "Q-A", or two Hebrew names with empty slugs).
    digest = hashlib.sha256(kb_name.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"kb-{slug}-{digest}" if slug else f"kb-{digest}"


def _record_id(chunk: Chunk) -> str:
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


def _batches(items: Sequence[Any], size: int = WRITE_BATCH) -> list[Sequence[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


class KnowledgeBaseIndex:
    """Ingestion and search for one knowledge base, over any Chroma client (persistent or HTTP)."""

    def __init__(self, client: ClientAPI, name: str, embedder: Embedder) -> None:
        self.client = client
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
            self.client.delete_collection(self.collection_name)
        self._collection = None

    def _version(self) -> str:
        """The write token of the collection as stored (another process may have written)."""
        metadata = self._get().metadata or {}
        return f"{metadata.get('kb_version', 0)}:{metadata.get('kb_write', '')}"

    def _bump(self, collection: Collection) -> None:
        metadata = dict(self._get().metadata or {})
        # The random part keeps two writers that both read version n from sharing n + 1.
        metadata.update(kb_version=int(metadata.get("kb_version", 0)) + 1, kb_write=uuid.uuid4().hex)
        collection.modify(metadata=metadata)

    # -- writes ---------------------------------------------------------------------------------
    def upsert_document(self, doc: ParsedDocument, chunks: list[Chunk], progress: Progress | None = None) -> UpsertResult:
        """Make ``chunks`` the document's only chunks, embedding only what changed."""
        return self.upsert_documents([(doc, chunks)], progress)[0]

    def upsert_documents(
        self, items: list[tuple[ParsedDocument, list[Chunk]]], progress: Progress | None = None
    ) -> list[UpsertResult]:
        """``upsert_document`` for many documents with one embedding pass (batches pad less)."""
        collection = self.ensure()
        total = sum(len(chunks) for _, chunks in items)
        plans = [self._plan(collection, doc, chunks) for doc, chunks in items]
        texts = [text for plan in plans for text in plan.texts_to_embed]
        reused = sum(plan.reused for plan in plans)
        report = (lambda done, _: progress(reused + done, total)) if progress else None
        vectors = self.embedder.encode_many(texts, report) if texts else np.zeros((0, 0), np.float32)
        results: list[UpsertResult] = []
        offset = 0
        for plan in plans:
            count = len(plan.texts_to_embed)
            plan.commit(collection, vectors[offset : offset + count], self.client.get_max_batch_size())
            offset += count
            results.append(UpsertResult(count, plan.reused, len(plan.orphans)))
        if any(plan.changed for plan in plans):
            self._bump(collection)
        if progress:
            progress(total, total)
        return results

    def _plan(self, collection: Collection, doc: ParsedDocument, chunks: list[Chunk]) -> _DocumentWrite:
        existing = collection.get(where={"doc_id": doc.doc_id}, include=["metadatas"])
        states = {rid: (meta or {}).get("state") for rid, meta in zip(existing["ids"], existing["metadatas"] or [], strict=True)}
        by_hash = {
            (meta or {}).get("content_hash"): rid
            for rid, meta in zip(existing["ids"], existing["metadatas"] or [], strict=True)
            if (meta or {}).get("state") != "stale"
        }
        return _DocumentWrite(collection, chunks, states, by_hash)

    def delete_document(self, doc_id: str) -> int:
        """Remove a document's chunks (hidden from queries in one step); returns how many were removed."""
        collection = self.ensure()
        ids = collection.get(where={"doc_id": doc_id}, include=[])["ids"]
        for batch in _batches(ids):
            collection.update(ids=list(batch), metadatas=[{"state": "stale"}] * len(batch))
        for batch in _batches(ids):
            collection.delete(ids=list(batch))
        if ids:
            self._bump(collection)
        return len(ids)

    # -- reads ----------------------------------------------------------------------------------
    def list_documents(self) -> list[DocumentInfo]:
        """Live documents with their chunk counts, sorted by id."""
        snapshot = self._snapshot()
        counts: dict[str, list[Any]] = {}
        for meta in snapshot.metadatas.values():
            entry = counts.setdefault(meta["doc_id"], [meta["source"], 0])
            entry[1] += 1
        return [DocumentInfo(doc_id, source, n) for doc_id, (source, n) in sorted(counts.items())]

    def count(self) -> int:
        """Number of live chunks."""
        return len(self._snapshot().ids)

    def query(self, q: str, k: int = 5, mode: Mode = "hybrid", embedding: Sequence[float] | None = None) -> list[Hit]:
        """The ``k`` best chunks for ``q``; ``embedding`` skips encoding ``q`` (benchmarks, batch eval)."""
        if k <= 0 or (not q.strip() and embedding is None):
            return []
        vector = list(embedding) if embedding is not None else self.embedder.encode([q])[0]
        if mode == "dense":
            return self._dense(vector, k)[:k]
        if mode != "hybrid":
            raise ValueError(f"mode must be 'dense' or 'hybrid', not {mode!r}")
        snapshot = self._snapshot()
        dense = self._dense(vector, max(k, CANDIDATES))
        lexical = snapshot.lexical.search(q, max(k, CANDIDATES))
        weight = dense_weight(q, self.embedder.tokenizer)
        fused = rrf([[h.chunk_id for h in dense], [rid.rsplit("@", 1)[0] for rid, _ in lexical]], [weight, 1.0], RRF_K)
        by_chunk = {h.chunk_id: h for h in dense}
        by_chunk.update({rid.rsplit("@", 1)[0]: self._hit(rid, snapshot, 0.0) for rid, _ in lexical if rid in snapshot.texts})
        hits = []
        for chunk_id, score in fused[:k]:
            hit = by_chunk[chunk_id]
            hits.append(Hit(hit.doc, hit.doc_id, hit.chunk, score, hit.text, hit.heading, hit.start, hit.end))
        return hits

    def _hit(self, rid: str, snapshot: _Snapshot, score: float) -> Hit:
        meta = snapshot.metadatas[rid]
        return _to_hit(snapshot.texts[rid], meta, score)

    def _dense(self, vector: list[float], n: int) -> list[Hit]:
        collection = self.ensure()
        fetch = n
        while True:
            query_vector = np.asarray([vector], dtype=np.float32)
            result = collection.query(
                query_embeddings=query_vector, n_results=fetch, include=["documents", "metadatas", "distances"]
            )
            ids = result["ids"][0]
            metas = (result["metadatas"] or [[]])[0]
            docs = (result["documents"] or [[]])[0]
            distances = (result["distances"] or [[]])[0]
            hits = [
                _to_hit(text or "", meta, 1.0 - float(distance))
                for meta, text, distance in zip(metas, docs, distances, strict=True)
                if meta and meta.get("state") == "live"
            ]
            # Pending/stale records exist only while a write is in flight: fetch deeper only then.
            if len(hits) >= n or len(ids) < fetch or fetch >= 16 * n:
                return hits[:n]
            fetch *= 4

    def _snapshot(self) -> _Snapshot:
        """Live records and their BM25 index, rebuilt when the collection's version changed."""
        collection = self.ensure()
        version = self._version()
        key = str(collection.id)
        with _snapshot_lock:
            cached = _snapshots.get(key)
            if cached and cached[0] == version:
                return cached[1]
            ids: list[str] = []
            texts: dict[str, str] = {}
            metadatas: dict[str, dict[str, Any]] = {}
            offset = 0
            while True:
                page = collection.get(
                    where={"state": "live"}, include=["documents", "metadatas"], limit=WRITE_BATCH, offset=offset
                )
                for rid, text, meta in zip(page["ids"], page["documents"] or [], page["metadatas"] or [], strict=True):
                    ids.append(rid)
                    texts[rid] = text or ""
                    metadatas[rid] = dict(meta or {})
                if len(page["ids"]) < WRITE_BATCH:
                    break
                offset += WRITE_BATCH
            lexical = LexicalIndex((rid, _lexical_text(texts[rid], metadatas[rid])) for rid in ids)
            snapshot = _Snapshot(ids, texts, metadatas, lexical)
            _snapshots[key] = (version, snapshot)
            return snapshot


def _lexical_text(text: str, meta: dict[str, Any]) -> str:
    # The heading applies to every chunk of its section; BM25 should see it in each one.
    return f"{meta.get('heading', '')}\n{text}"


def _to_hit(text: str, meta: Any, score: float) -> Hit:
    return Hit(
        doc=str(meta.get("source", "")),
        doc_id=str(meta.get("doc_id", "")),
        chunk=int(meta.get("chunk", 0)),
        score=score,
        text=text,
        heading=str(meta.get("heading", "")),
        start=int(meta.get("start", 0)),
        end=int(meta.get("end", 0)),
    )


class _DocumentWrite:
    """The records one document upsert adds, keeps and removes (see the module docstring)."""

    def __init__(self, collection: Collection, chunks: list[Chunk], states: dict[str, Any], by_hash: dict[Any, str]) -> None:
        wanted = {_record_id(chunk): chunk for chunk in chunks}
        self.new = [(rid, c) for rid, c in wanted.items() if states.get(rid) != "live"]
        self.orphans = [rid for rid in states if rid not in wanted]
        sources = {rid: by_hash.get(c.content_hash) for rid, c in self.new}
        reuse = sorted({src for src in sources.values() if src is not None})
        stored: dict[str, Any] = {}
        for batch in _batches(reuse):
            got = collection.get(ids=list(batch), include=["embeddings"])
            stored.update(zip(got["ids"], got["embeddings"] if got["embeddings"] is not None else [], strict=True))
        self.vectors: dict[str, Any] = {rid: stored[src] for rid, src in sources.items() if src in stored}
        self.to_embed = [rid for rid, _ in self.new if rid not in self.vectors]
        self.texts_to_embed = [wanted[rid].text for rid in self.to_embed]
        self.reused = len(chunks) - len(self.to_embed)
        self.changed = bool(self.new or self.orphans)
        self._chunks = wanted

    def commit(self, collection: Collection, embedded: np.ndarray, flip_batch: int) -> None:
        """Write pending records, flip them live with the orphans stale in one call, delete orphans."""
        self.vectors.update(zip(self.to_embed, embedded, strict=True))
        for batch in _batches(self.new):
            collection.upsert(
                ids=[rid for rid, _ in batch],
                embeddings=np.asarray([self.vectors[rid] for rid, _ in batch], dtype=np.float32),
                documents=[chunk.text for _, chunk in batch],
                metadatas=[_metadata(chunk, "pending") for _, chunk in batch],
            )
        flips = [(rid, "live") for rid, _ in self.new] + [(rid, "stale") for rid in self.orphans]
        for batch in _batches(flips, flip_batch):
            collection.update(ids=[rid for rid, _ in batch], metadatas=[{"state": state} for _, state in batch])
        for batch in _batches(self.orphans):
            collection.delete(ids=list(batch))
