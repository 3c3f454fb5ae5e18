"""A search by the collection's only writer reads its hits from the exact BM25 snapshot, and from Chroma whenever
the snapshot may differ from the live records (a flip or delete in flight or since it loaded)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from chromadb.api import ClientAPI

from service.config import Settings
from service.embeddings.model import Embedder
from service.knowledge_bases import index as indexes
from service.knowledge_bases import snapshot as snapshots
from service.knowledge_bases.index import KnowledgeBaseIndex
from service.knowledge_bases.lexical import LexicalIndex
from service.knowledge_bases.search import Hit, lexical_text
from service.store.models import KnowledgeBaseRow
from service.worker.runtime import Runtime
from tests.service.knowledge_bases.test_index import BADGES, EXPENSES, PARKING, ingest

QUESTIONS = [
    "When is my expense report due?",
    "hotel cap in London",
    "I lost my badge",
    "איפה חונים העובדים?",
    "receipts mileage car",
    "Who won the football world cup in 2018?",
]


@pytest.fixture
def pair(
    persistent_client: ClientAPI, embedder: Embedder, request: pytest.FixtureRequest
) -> tuple[KnowledgeBaseIndex, KnowledgeBaseIndex]:
    """The same collection seen by its only writer and by an index that reads every hit back from Chroma. Named per
    test: one process's Chroma clients can share their data even when their paths differ (test_memory_vectors.py)."""
    name = f"handbook {request.node.name}"
    sole = KnowledgeBaseIndex(persistent_client, name, embedder, sole_writer=True)
    sole.drop()
    for doc, text in (("expenses.md", EXPENSES), ("parking.md", PARKING), ("faq.jsonl", BADGES)):
        ingest(sole, doc, text.encode(), chunk_tokens=12)
    return sole, KnowledgeBaseIndex(persistent_client, name, embedder)


def _edit_behind_its_back(kb: KnowledgeBaseIndex, doc: str, text: str) -> str:
    """Change a live record's text in Chroma without telling the index (what a sole writer rules out)."""
    collection = kb.ensure()
    [rid, *_] = collection.get(where={"$and": [{"doc_id": doc}, {"state": "live"}]}, include=[])["ids"]
    collection.update(ids=[rid], documents=[text])
    return rid


def _same_hits(ours: list[Hit], chroma: list[Hit]) -> bool:
    """Equal hits, but for the last bits of a cosine: the snapshot's vectors are multiplied by numpy, Chroma's HNSW
    index sums in its own order (a dense score differs by ~1e-7; relevance is rounded to 4 places)."""
    if len(ours) != len(chroma):
        return False
    return all(
        replace(mine, score=0.0) == replace(theirs, score=0.0) and mine.score == pytest.approx(theirs.score, abs=1e-6)
        for mine, theirs in zip(ours, chroma, strict=True)
    )


def test_the_snapshot_gives_the_same_hits_as_reading_them_back(pair: tuple[KnowledgeBaseIndex, KnowledgeBaseIndex]) -> None:
    sole, reader = pair
    assert sole._snapshot().stamp is not None, "the only writer's snapshot is exact"
    assert sole._snapshot().vectors is not None, "its dense search ranks in memory"
    compared = 0
    for mode in ("dense", "lexical", "hybrid"):
        for q in QUESTIONS:
            for k in (1, 3, 8, 40):
                from_snapshot = sole.query(q, k, mode)
                assert _same_hits(from_snapshot, reader.query(q, k, mode)), (mode, q, k)
                compared += len(from_snapshot)
    assert compared > 200


def test_the_only_writer_reads_hits_from_memory_and_the_other_from_chroma(
    pair: tuple[KnowledgeBaseIndex, KnowledgeBaseIndex],
) -> None:
    sole, reader = pair
    sole.query("warm up", 1)
    _edit_behind_its_back(sole, "faq-badges", "edited in Chroma")
    assert sole.query("I lost my badge", 1, "dense")[0].text.startswith("A lost badge")
    assert reader.query("I lost my badge", 1, "dense")[0].text == "edited in Chroma"


def test_a_change_in_flight_or_since_the_load_sends_searches_to_chroma(
    pair: tuple[KnowledgeBaseIndex, KnowledgeBaseIndex],
) -> None:
    sole, _ = pair
    sole.query("warm up", 1)
    key = str(sole.ensure().id)
    _edit_behind_its_back(sole, "faq-badges", "edited in Chroma")
    with indexes._visibility.change(key):
        assert sole.query("I lost my badge", 1, "dense")[0].text == "edited in Chroma"
    # The change ended without a new version: the snapshot stays, but is no longer exact.
    assert sole._snapshot().stamp is not None and sole._snapshot().stamp != indexes._visibility.stamp(key)
    assert sole.query("I lost my badge", 1, "dense")[0].text == "edited in Chroma"


def test_a_snapshot_loaded_across_a_change_is_not_exact(
    pair: tuple[KnowledgeBaseIndex, KnowledgeBaseIndex], monkeypatch: pytest.MonkeyPatch
) -> None:
    sole, _ = pair
    collection = sole.ensure()
    key = str(collection.id)
    real_get = type(collection).get

    def get_while_a_delete_runs(self: object, *args: object, **kwargs: object) -> object:
        with indexes._visibility.change(key):
            return real_get(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(type(collection), "get", get_while_a_delete_runs)
    assert indexes._load(collection, "v", exact=True).stamp is None
    monkeypatch.undo()
    assert indexes._load(collection, "v", exact=True).stamp == indexes._visibility.stamp(key)
    assert indexes._load(collection, "v", exact=False).stamp is None


def test_a_worker_is_the_only_writer_of_its_local_store_not_of_a_chroma_server(tmp_path: Path, chroma_server: int) -> None:
    row = KnowledgeBaseRow(id="kb-1", tenant_id="t", name="handbook", collection="handbook", embedding_model=None)
    for chroma_url, sole in ((None, True), (f"http://127.0.0.1:{chroma_server}", False)):
        runtime = Runtime(Settings(data_dir=tmp_path / str(sole), chroma_url=chroma_url))
        try:
            assert runtime.index(row).sole_writer is sole
        finally:
            runtime.close()


def test_a_removed_chunk_never_comes_back_while_a_big_snapshot_rebuilds(
    pair: tuple[KnowledgeBaseIndex, KnowledgeBaseIndex], monkeypatch: pytest.MonkeyPatch
) -> None:
    sole, _ = pair
    assert {hit.doc for hit in sole.query("expense report receipts hotel", 8, "hybrid")} >= {"expenses.md"}
    # As at 100,000 chunks: every rebuild runs in the background and is held back, so searches keep the old snapshot.
    monkeypatch.setattr(snapshots, "INLINE_SECONDS", -1.0)
    monkeypatch.setattr(snapshots, "REBUILD_SPACING", 1e9)
    old = sole._snapshot()
    assert sole.delete_document("expenses.md") >= 3
    assert sole._snapshot() is old, "the old snapshot still answers"
    for mode in ("dense", "lexical", "hybrid"):
        assert "expenses.md" not in {hit.doc for hit in sole.query("expense report receipts hotel", 8, mode)}, mode


def test_a_replaced_chunk_never_comes_back_while_a_big_snapshot_rebuilds(
    pair: tuple[KnowledgeBaseIndex, KnowledgeBaseIndex], monkeypatch: pytest.MonkeyPatch
) -> None:
    sole, _ = pair
    ingest(sole, "policy.md", b"# Policy\n\nThe hotel cap is 390 USD a night.", chunk_tokens=12)
    assert "390 USD" in sole.query("hotel cap per night", 1, "hybrid")[0].text
    monkeypatch.setattr(snapshots, "INLINE_SECONDS", -1.0)
    monkeypatch.setattr(snapshots, "REBUILD_SPACING", 1e9)
    old = sole._snapshot()
    ingest(sole, "policy.md", b"# Policy\n\nThe hotel cap is 410 USD a night.", chunk_tokens=12)
    assert sole._snapshot() is old
    for mode in ("dense", "lexical", "hybrid"):
        texts = " ".join(hit.text for hit in sole.query("hotel cap per night", 8, mode))
        assert "390 USD" not in texts, mode
        assert "410 USD" in texts or mode == "lexical", "dense search finds the new chunk before BM25 catches up"


def test_a_new_snapshot_tokenizes_only_the_chunks_that_changed(
    pair: tuple[KnowledgeBaseIndex, KnowledgeBaseIndex], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ingestion rebuilds BM25 after every document: the chunks the last snapshot held keep their counted tokens,
    and the scores are those of a build from scratch."""
    sole, _ = pair
    before = sole._snapshot(fresh=True)
    edited = _edit_behind_its_back(sole, "faq-badges", "החניון סגור בשבת. badge required")
    tokenized: list[str] = []
    tokens = LexicalIndex._tokens

    def counting(self: LexicalIndex, text: str) -> list[str]:
        tokenized.append(text)
        return tokens(self, text)

    monkeypatch.setattr(LexicalIndex, "_tokens", counting)
    ingest(sole, "visitors.md", b"# Visitors\n\nGuests sign in at reception and wear a visitor badge all day.", chunk_tokens=12)
    after = sole._snapshot(fresh=True)
    new = [rid for rid in after.ids if rid not in before.texts]
    assert new and len(after.ids) > len(new) + 1
    # The new document's chunks and the record edited behind the index's back: nothing else.
    expected = [lexical_text(after.texts[rid], after.metadatas[rid]) for rid in after.ids if rid in new or rid == edited]
    assert sorted(tokenized) == sorted(expected)
    tokenized.clear()
    scratch = LexicalIndex((rid, lexical_text(after.texts[rid], after.metadatas[rid])) for rid in after.ids)
    for q in [*QUESTIONS, "visitor badge reception", "החניון בשבת"]:
        assert after.lexical.search(q, 20) == scratch.search(q, 20), q
