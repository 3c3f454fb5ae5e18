"""A new question is embedded (and, without the vectors in memory, searched in Chroma) in a pool thread while the
search ranks by BM25 (search.dense_side); a known vector is searched with in the calling thread. Observed at the
edges, ONNX Runtime's and Chroma's APIs, as test_direct_writes does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import onnxruntime
import pytest
from chromadb.api.models.Collection import Collection

from service.knowledge_bases.index import KnowledgeBaseIndex
from tests.service.knowledge_bases.test_index import EXPENSES, PARKING, ingest

Q = "When is my expense report due?"


@pytest.fixture
def threads(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, list[str]]]:
    """The thread of every model run ("embed") and of every Chroma vector query ("query")."""
    seen: dict[str, list[str]] = {"embed": [], "query": []}
    run, query = onnxruntime.InferenceSession.run, Collection.query

    def observed_run(self: Any, *args: Any, **kwargs: Any) -> Any:
        seen["embed"].append(threading.current_thread().name)
        return run(self, *args, **kwargs)

    def observed_query(self: Collection, *args: Any, **kwargs: Any) -> Any:
        seen["query"].append(threading.current_thread().name)
        return query(self, *args, **kwargs)

    monkeypatch.setattr(onnxruntime.InferenceSession, "run", observed_run)
    monkeypatch.setattr(Collection, "query", observed_query)
    yield seen


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_a_new_question_is_embedded_in_a_pool_thread(kb: KnowledgeBaseIndex, threads: dict[str, list[str]], mode: str) -> None:
    ingest(kb, "expenses.md", EXPENSES.encode())
    ingest(kb, "parking.md", PARKING.encode())
    expected = kb.query(Q, 2, mode, embedding=kb.embedder.encode_array([Q])[0].tolist())  # type: ignore[arg-type]
    here = threading.current_thread().name
    # The only writer ranks by cosine from its snapshot's vectors; another index asks Chroma (never in lexical mode).
    queries = [] if kb.sole_writer or mode == "lexical" else [here]
    assert threads["query"] == queries
    threads["embed"].clear()
    threads["query"].clear()
    kb.embedder._queries.clear()  # the question is new again: its vector is to be computed
    hits = kb.query(Q, 2, mode)  # type: ignore[arg-type]
    assert [hit.chunk_id for hit in hits] == [hit.chunk_id for hit in expected]
    assert len(threads["embed"]) == 1 and threads["embed"][0].startswith("kb-dense"), threads
    assert threads["query"] == [threads["embed"][0]] * len(queries)  # after the embedding, in the same pool thread
    threads["embed"].clear()
    threads["query"].clear()
    assert kb.query(Q, 2, mode) == hits  # type: ignore[arg-type]  # cached now: nothing to embed, all in this thread
    assert threads == {"embed": [], "query": queries}


def test_a_failing_embedding_fails_the_search(kb: KnowledgeBaseIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    ingest(kb, "expenses.md", EXPENSES.encode())
    kb.embedder._queries.clear()

    def broken(self: Any, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the model is gone")

    monkeypatch.setattr(onnxruntime.InferenceSession, "run", broken)
    with pytest.raises(RuntimeError, match="the model is gone"):
        kb.query(Q, 2)
