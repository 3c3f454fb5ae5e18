"""A new question is embedded and searched densely in a pool thread while the search ranks by BM25 (search.dense_side);
a known vector is searched with in the calling thread. Observed at Chroma's API, as test_direct_writes does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from chromadb.api.models.Collection import Collection

from service.knowledge_bases.index import KnowledgeBaseIndex
from tests.service.knowledge_bases.test_index import EXPENSES, PARKING, ingest

Q = "When is my expense report due?"


@pytest.fixture
def dense_threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The thread of every Chroma vector query."""
    seen: list[str] = []
    original = Collection.query

    def query(self: Collection, *args: Any, **kwargs: Any) -> Any:
        seen.append(threading.current_thread().name)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "query", query)
    yield seen


@pytest.mark.parametrize("mode", ["hybrid", "dense"])
def test_a_new_question_is_searched_in_a_pool_thread(kb: KnowledgeBaseIndex, dense_threads: list[str], mode: str) -> None:
    ingest(kb, "expenses.md", EXPENSES.encode())
    ingest(kb, "parking.md", PARKING.encode())
    expected = kb.query(Q, 2, mode, embedding=kb.embedder.encode_array([Q])[0].tolist())  # type: ignore[arg-type]
    kb.embedder._queries.clear()  # the question is new again: its vector is to be computed
    assert kb.query(Q, 2, mode) == expected  # type: ignore[arg-type]
    here = threading.current_thread().name
    assert dense_threads[0] == here and dense_threads[1].startswith("kb-dense"), dense_threads
    assert kb.query(Q, 2, mode) == expected  # type: ignore[arg-type]  # cached now: in this thread again
    assert dense_threads[2:] == [here]


def test_a_lexical_search_embeds_its_question_but_runs_no_vector_query(kb: KnowledgeBaseIndex, dense_threads: list[str]) -> None:
    ingest(kb, "expenses.md", EXPENSES.encode())
    kb.embedder._queries.clear()
    hits = kb.query(Q, 2, "lexical")
    assert hits and hits[0].doc_id == "expenses.md" and hits[0].relevance is not None  # relevance reads the cosine
    assert dense_threads == []


def test_a_failing_dense_search_fails_the_search(kb: KnowledgeBaseIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(kb, "expenses.md", EXPENSES.encode())
    kb.embedder._queries.clear()

    def broken(self: Collection, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the vector index is gone")

    monkeypatch.setattr(Collection, "query", broken)
    with pytest.raises(RuntimeError, match="the vector index is gone"):
        kb.query(Q, 2)
