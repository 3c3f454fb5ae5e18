"""A small knowledge base's exact snapshot holds its vectors: its only writer ranks by cosine in memory, reads back
only the vectors of records it did not hold before, and uses Chroma's vector index when it may not be exact or
the knowledge base is big."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from chromadb.api import ClientAPI
from chromadb.api.models.Collection import Collection

from service.embeddings.model import Embedder
from service.knowledge_bases import index as indexes
from service.knowledge_bases.index import KnowledgeBaseIndex
from service.knowledge_bases.lexical import LexicalIndex
from service.knowledge_bases.search import CANDIDATES, Ranked, read_ahead, snapshot_hits
from service.knowledge_bases.snapshot import Snapshot
from tests.service.knowledge_bases.test_exact_snapshot import QUESTIONS, _same_hits
from tests.service.knowledge_bases.test_index import BADGES, EXPENSES, PARKING, ingest


@pytest.fixture
def sole(persistent_client: ClientAPI, embedder: Embedder, request: pytest.FixtureRequest) -> Iterator[KnowledgeBaseIndex]:
    """The only writer of a new knowledge base. Named per test: one process's Chroma clients can share their data
    even when their paths differ (seen after a test that opened and closed a worker runtime)."""
    index = KnowledgeBaseIndex(persistent_client, f"memory {request.node.name}", embedder, sole_writer=True)
    index.drop()
    yield index
    index.drop()


@pytest.fixture
def chroma_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, Any]]]:
    """Chroma's vector queries, and the ids of every read of vectors."""
    seen: list[tuple[str, Any]] = []
    query, get = Collection.query, Collection.get

    def observed_query(self: Collection, *args: Any, **kwargs: Any) -> Any:
        seen.append(("query", None))
        return query(self, *args, **kwargs)

    def observed_get(self: Collection, *args: Any, **kwargs: Any) -> Any:
        if "embeddings" in (kwargs.get("include") or []):
            seen.append(("vectors", sorted(kwargs.get("ids") or [])))
        return get(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "query", observed_query)
    monkeypatch.setattr(Collection, "get", observed_get)
    yield seen


def _live_ids(kb: KnowledgeBaseIndex) -> list[str]:
    return sorted(kb.ensure().get(where={"state": "live"}, include=[])["ids"])


def test_the_snapshot_holds_every_live_vector_and_reads_back_only_new_ones(
    sole: KnowledgeBaseIndex, chroma_calls: list[tuple[str, Any]]
) -> None:
    ingest(sole, "expenses.md", EXPENSES.encode(), chunk_tokens=12)
    first = sole.query("hotel cap in London", 3, "dense")
    assert first[0].doc_id == "expenses.md"
    before = _live_ids(sole)
    assert [call for call in chroma_calls if call[0] == "query"] == []  # ranked in memory
    assert ("vectors", before) in chroma_calls
    chroma_calls.clear()
    ingest(sole, "parking.md", PARKING.encode(), chunk_tokens=12)
    ingest(sole, "faq.jsonl", BADGES.encode())
    sole.refresh()  # rebuilt now (a search would rebuild in the background if builds were slow)
    new = sorted(set(_live_ids(sole)) - set(before))
    read = sorted(rid for kind, ids in chroma_calls if kind == "vectors" for rid in ids)
    assert read == new and new, "only the records the last snapshot did not hold"
    chroma_calls.clear()
    assert sole.query("I lost my badge", 2, "hybrid")[0].doc_id == "faq-badges"
    assert chroma_calls == []  # ranked in memory, every cosine known: no vector query, no vector read
    snapshot = sole._snapshot()
    stored = sole.ensure().get(ids=snapshot.ids, include=["embeddings"])
    by_id = dict(zip(stored["ids"], stored["embeddings"], strict=True))
    assert snapshot.vectors is not None
    assert np.array_equal(snapshot.vectors, np.asarray([by_id[rid] for rid in snapshot.ids], dtype=np.float32))


def test_a_big_knowledge_base_or_a_change_in_flight_uses_chromas_index(
    sole: KnowledgeBaseIndex, chroma_calls: list[tuple[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    ingest(sole, "expenses.md", EXPENSES.encode(), chunk_tokens=12)
    in_memory = sole.query("hotel cap in London", 3, "dense")
    key = str(sole.ensure().id)
    with indexes._visibility.change(key):  # a flip or delete in flight: the snapshot may not be exact
        assert [hit.chunk_id for hit in sole.query("hotel cap in London", 3, "dense")] == [h.chunk_id for h in in_memory]
    assert [call for call in chroma_calls if call[0] == "query"] == [("query", None)]
    monkeypatch.setattr(indexes, "MEMORY_VECTORS", 2)
    ingest(sole, "parking.md", PARKING.encode(), chunk_tokens=12)
    sole.refresh()
    chroma_calls.clear()
    assert sole.query("hotel cap in London", 3, "dense")[0].doc_id == "expenses.md"
    assert sole._snapshot().vectors is None and sole._snapshot().stamp is not None
    assert chroma_calls == [("query", None)]  # exact, but too big to hold its vectors


def test_an_empty_or_emptied_knowledge_base_finds_nothing(sole: KnowledgeBaseIndex) -> None:
    for mode in ("dense", "lexical", "hybrid"):
        assert sole.query("hotel cap in London", 3, mode) == []  # type: ignore[arg-type]
    ingest(sole, "expenses.md", EXPENSES.encode(), chunk_tokens=12)
    assert sole.query("hotel cap in London", 3)
    sole.delete_document("expenses.md")
    sole.refresh()
    assert sole._snapshot().ids == [] and sole._snapshot().stamp is not None
    for mode in ("dense", "lexical", "hybrid"):
        assert sole.query("hotel cap in London", 3, mode) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("n", [1, 3, 25, 70])
def test_nearest_is_every_cosine_best_first_equal_ones_in_row_order(n: int) -> None:
    rng = np.random.default_rng(n)
    base = rng.standard_normal((4, 8)).astype(np.float32)
    vectors = base[rng.integers(0, 4, 60)]  # 60 rows, 4 distinct vectors: many equal cosines
    ids = [f"r{i}" for i in range(60)]
    snapshot = Snapshot("v", ids, {}, {}, LexicalIndex((rid, "") for rid in ids), 0, vectors)
    q = base[1] + 0.01
    cosines = vectors @ q
    expected = sorted(range(60), key=lambda row: (-cosines[row], row))[:n]
    nearest, every = snapshot.nearest(q.tolist(), n)
    assert nearest == [(ids[row], float(cosines[row])) for row in expected]  # negative cosines too
    assert dict(every) == {rid: float(c) for rid, c in zip(ids, cosines, strict=True)} and "r99" not in every


def test_a_big_knowledge_base_reads_bm25_hits_vectors_while_the_question_is_embedded(
    sole: KnowledgeBaseIndex, chroma_calls: list[tuple[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Too big to hold its vectors: the only writer reads the BM25 candidates' vectors while a new question is
    embedded, and its hits are those of an index that reads every hit back from Chroma."""
    monkeypatch.setattr(indexes, "MEMORY_VECTORS", 0)
    for doc, text in (("expenses.md", EXPENSES), ("parking.md", PARKING), ("faq.jsonl", BADGES)):
        ingest(sole, doc, text.encode(), chunk_tokens=12)
    sole.refresh()
    assert sole._snapshot().vectors is None and sole._snapshot().stamp is not None
    reader = KnowledgeBaseIndex(sole.client, sole.name, Embedder(None))
    compared = 0
    for mode in ("lexical", "hybrid"):
        for q in QUESTIONS:
            for k in (1, 3, 8):
                asked = f"{q} ({mode} {k})"  # never asked before: the question is embedded in a pool thread
                chroma_calls.clear()
                ours = sole.query(asked, k, mode)  # type: ignore[arg-type]
                assert _same_hits(ours, reader.query(asked, k, mode)), (mode, q, k)  # type: ignore[arg-type]
                reads = [ids for kind, ids in chroma_calls if kind == "vectors"]
                lexical = [rid for rid, _ in sole._snapshot().lexical.search(asked, max(k, CANDIDATES))]
                if lexical:  # the first read is ahead: BM25's first k (lexical) or 2 k (hybrid) candidates
                    assert reads[0] == sorted(lexical[: k if mode == "lexical" else 2 * k]), (mode, q, k)
                compared += len(ours)
    assert compared > 60


def test_hits_read_only_the_vectors_neither_dense_search_nor_the_read_ahead_gave(
    sole: KnowledgeBaseIndex, chroma_calls: list[tuple[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(indexes, "MEMORY_VECTORS", 0)
    ingest(sole, "expenses.md", EXPENSES.encode(), chunk_tokens=12)
    collection, snapshot = sole.ensure(), sole._snapshot()
    q = "receipts mileage car"
    lexical = snapshot.lexical.search(q, CANDIDATES)
    vector = sole.embedder.encode_query(q)
    ranked = Ranked(lexical, {})
    everything = read_ahead(collection, snapshot, "lexical", lexical, 3)
    expected = snapshot_hits(collection, snapshot, ranked, q, vector, 3, 0.5)
    assert expected is not None and len(expected) == 3
    for given in ({}, dict(list(everything.items())[:1]), everything):
        chroma_calls.clear()
        assert snapshot_hits(collection, snapshot, ranked, q, vector, 3, 0.5, given) == expected
        unread = sorted(rid for rid, _ in lexical[:3] if rid not in given)
        assert [ids for _, ids in chroma_calls] == ([unread] if unread else [])
