"""A search embeds its question and runs the dense search in a pool thread while it ranks by BM25 (search.dense_side)."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from service.knowledge_bases import search
from service.knowledge_bases.index import KnowledgeBaseIndex
from service.knowledge_bases.lexical import LexicalIndex
from tests.service.knowledge_bases.test_index import EXPENSES, PARKING, ingest

WAIT = 20.0  # seconds; only a search that runs the two sides one after the other waits this long (and fails)


@pytest.mark.parametrize("mode", ["hybrid", "lexical"])
def test_the_question_is_embedded_while_bm25_ranks(kb: KnowledgeBaseIndex, monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    ingest(kb, "expenses.md", EXPENSES.encode())
    ingest(kb, "parking.md", PARKING.encode())
    expected = kb.query("When is my expense report due?", 2, mode)  # type: ignore[arg-type]
    kb.embedder._queries.clear()  # a new question again: the vector is to be computed
    ranking = threading.Event()
    seen: dict[str, Any] = {}
    encode, search = kb.embedder.encode_query, LexicalIndex.search

    def embedding(q: str) -> list[float]:
        seen["thread"] = threading.current_thread().name
        seen["overlapped"] = ranking.wait(WAIT)  # returns only once BM25 ranks in the other thread
        return encode(q)

    def bm25(self: LexicalIndex, q: str, k: int) -> list[tuple[str, float]]:
        ranking.set()
        return search(self, q, k)

    monkeypatch.setattr(kb.embedder, "encode_query", embedding)
    monkeypatch.setattr(LexicalIndex, "search", bm25)
    hits = kb.query("When is my expense report due?", 2, mode)  # type: ignore[arg-type]
    assert seen == {"thread": seen["thread"], "overlapped": True} and seen["thread"].startswith("kb-dense")
    assert hits == expected


def test_a_known_vector_is_searched_with_in_the_calling_thread(kb: KnowledgeBaseIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(kb, "expenses.md", EXPENSES.encode())
    q = "When is my expense report due?"
    expected = kb.query(q, 2)  # embeds q, which the embedder's cache now holds
    threads: list[str] = []
    nearest = search.dense_candidates

    def dense(*args: Any) -> list[tuple[str, float]]:
        threads.append(threading.current_thread().name)
        return nearest(*args)

    monkeypatch.setattr(search, "dense_candidates", dense)
    assert kb.query(q, 2) == expected  # cached: no pool thread to hand over to
    assert kb.query("anything", 2, embedding=kb.embedder.encode_query(q)) != []  # given
    assert threads == [threading.current_thread().name] * 2


def test_a_failing_embedding_fails_the_search(kb: KnowledgeBaseIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(kb, "expenses.md", EXPENSES.encode())

    def broken(q: str) -> list[float]:
        raise RuntimeError("the model is gone")

    monkeypatch.setattr(kb.embedder, "encode_query", broken)
    kb.embedder._queries.clear()
    with pytest.raises(RuntimeError, match="the model is gone"):
        kb.query("When is my expense report due?", 2)
