"""What the worker process owns: the Chroma client (one writer per path), embedding models, the store."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any, get_args
from urllib.parse import urlparse

import chromadb
from chromadb.config import Settings as ChromaSettings
from filelock import FileLock, Timeout

from service.config import Settings
from service.embeddings.model import Embedder, Lane
from service.errors import NotFound, ServiceUnavailable
from service.knowledge_bases.index import KnowledgeBaseIndex
from service.store.db import Database, upgrade
from service.store.jobs import new_owner
from service.store.models import KnowledgeBaseRow

EMBED_CACHE_SIZE = 100_000


class StoreLocked(ServiceUnavailable):
    code = "vector_store_locked"


def chroma_path(settings: Settings) -> Path:
    return settings.data_dir / "chroma"


def open_chroma(settings: Settings) -> tuple[Any, FileLock | None]:
    """A Chroma server client when ADVISOR_CHROMA_URL is set; else the local store, locked to this process."""
    chroma_settings = ChromaSettings(anonymized_telemetry=False)
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        client = chromadb.HttpClient(
            host=url.hostname or "127.0.0.1", port=url.port or 8000, ssl=url.scheme == "https", settings=chroma_settings
        )
        return client, None
    settings.ensure_dirs()
    lock = FileLock(str(settings.data_dir / "chroma.lock"))
    try:
        lock.acquire(timeout=0)
    except Timeout as exc:
        raise StoreLocked(
            f"Another process owns the vector store in {chroma_path(settings)}; stop it, or use its worker "
            "(`advisor serve` starts one), or run `chroma run` and set ADVISOR_CHROMA_URL."
        ) from exc
    return chromadb.PersistentClient(path=str(chroma_path(settings)), settings=chroma_settings), lock


class Runtime:
    """Opened once per worker (or per CLI run that owns the store)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.owner = new_owner()  # the name this process's job leases are held under
        self.database = Database(settings.resolved_database_url)
        upgrade(self.database.engine)
        self.client, self._lock = open_chroma(settings)
        self._embedders: dict[tuple[str | None, Lane], Embedder] = {}
        self._guard = threading.Lock()
        self._vectors: dict[tuple[str | None, str], list[float]] = {}
        self._indexes: dict[tuple[str, Lane], KnowledgeBaseIndex] = {}

    def embedder(self, model: str | None, lane: Lane = "query") -> Embedder:
        """One embedder per model and lane: searches embed on the query lane, ingestion on its own (ADR 0015)."""
        key = (model or self.settings.embedding_model, lane)
        with self._guard:
            if key not in self._embedders:
                self._embedders[key] = Embedder(key[0], lane=lane)
            return self._embedders[key]

    def embed_cached(self, texts: list[str], model: str | None = None) -> list[list[float]]:
        """Embed only the texts not seen before (by model and text); the cache is bounded."""
        name = model or self.settings.embedding_model
        missing = list(dict.fromkeys(text for text in texts if (name, text) not in self._vectors))
        if missing:
            for text, vector in zip(missing, self.embedder(name).encode(missing), strict=True):
                if len(self._vectors) >= EMBED_CACHE_SIZE:
                    self._vectors.pop(next(iter(self._vectors)))
                self._vectors[(name, text)] = vector
        return [self._vectors[(name, text)] for text in texts]

    def kb(self, kb_id: str) -> KnowledgeBaseRow:
        with self.database.session() as session:
            row = session.get(KnowledgeBaseRow, kb_id)
            if row is None:
                raise NotFound(f"No knowledge base {kb_id!r}.", code="knowledge_base_not_found")
            session.expunge(row)
            return row

    def index(self, kb: KnowledgeBaseRow, lane: Lane = "query") -> KnowledgeBaseIndex:
        # The local store is locked to this process: nothing else changes which of its records are live.
        sole = self._lock is not None
        return KnowledgeBaseIndex(self.client, kb.collection, self.embedder(kb.embedding_model, lane), sole_writer=sole)

    def index_of(self, kb_id: str, lane: Lane = "query") -> KnowledgeBaseIndex:
        """The knowledge base's index, kept between requests: a search skips reading its row and collection again.

        A knowledge base's collection and model never change after it is created, and this process is the
        store's only writer, so the cached index stays true until ``forget`` (the knowledge base is dropped).
        """
        key = (kb_id, lane)
        index = self._indexes.get(key)
        if index is None:
            index = self._indexes[key] = self.index(self.kb(kb_id), lane)
        return index

    def forget(self, kb_id: str) -> None:
        for lane in get_args(Lane):
            self._indexes.pop((kb_id, lane), None)

    def close(self) -> None:
        self.database.dispose()
        if self._lock is not None:
            self._lock.release()
