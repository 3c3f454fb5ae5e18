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
4. bump the collection's ``kb_version`` so BM25 snapshots rebuild, then delete the stale records.

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
from service.kb.writes import WRITE_BATCH, DocumentWrite, batches

Mode = Literal["dense", "hybrid"]
Progress = Callable[[int, int], None]
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
        plans = [DocumentWrite(collection, doc.doc_id, chunks) for doc, chunks in items]
        texts = [text for plan in plans for text in plan.texts_to_embed]
        reused = sum(plan.reused for plan in plans)
        report = (lambda done, _: progress(reused + done, total)) if progress else None
        vectors = self.embedder.encode_many(texts, report) if texts else np.zeros((0, 0), np.float32)
        results: list[UpsertResult] = []
        offset = 0
        for plan in plans:
            count = len(plan.texts_to_embed)
            if plan.changed:
                plan.write_pending(collection, vectors[offset : offset + count])
                plan.flip(collection, self.client.get_max_batch_size())
                self._bump(collection)  # right after the flip: BM25 snapshots follow the dense view
                plan.remove_orphans(collection)
            offset += count
            results.append(UpsertResult(count, plan.reused, len(plan.orphans)))
        if progress:
            progress(total, total)
        return results

    def delete_document(self, doc_id: str) -> int:
        """Remove a document's chunks (hidden from queries in one step); returns how many were removed."""
        collection = self.ensure()
        ids = collection.get(where={"doc_id": doc_id}, include=[])["ids"]
        if not ids:
            return 0
        for batch in batches(ids, self.client.get_max_batch_size()):
            collection.update(ids=list(batch), metadatas=[{"state": "stale"}] * len(batch))
        self._bump(collection)
        for batch in batches(ids):
            collection.delete(ids=list(batch))
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
