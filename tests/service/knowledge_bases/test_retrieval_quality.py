"""Retrieval on a bilingual (English + Hebrew) company corpus, with the real model and a real Chroma."""

from __future__ import annotations

import json
import os
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from service.knowledge_bases.chunking import chunk_document
from service.knowledge_bases.embeddings import Embedder
from service.knowledge_bases.evaluate import evaluate
from service.knowledge_bases.index import KnowledgeBaseIndex
from service.knowledge_bases.parsers import parse_file

os.environ.setdefault("HF_HUB_OFFLINE", "1")
CORPUS = Path(__file__).parent / "corpus"


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBaseIndex:
    client = chromadb.PersistentClient(
        path=str(tmp_path_factory.mktemp("chroma")), settings=ChromaSettings(anonymized_telemetry=False)
    )
    kb = KnowledgeBaseIndex(client, "bilingual", Embedder(None))
    for path in sorted(CORPUS.glob("*.md")):
        for doc in parse_file(path.read_bytes(), path.name):
            kb.upsert_document(doc, chunk_document(doc, 300, 45))
    return kb


def test_hybrid_finds_the_right_document_in_both_languages(index: KnowledgeBaseIndex) -> None:
    items = [json.loads(line) for line in (CORPUS / "questions.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    hebrew = [item for item in items if any("\u0590" <= ch <= "\u05ff" for ch in item["q"])]
    assert len(hebrew) >= 10 and len(items) - len(hebrew) >= 10
    metrics = evaluate(index, items)
    print(json.dumps(metrics))
    assert metrics["hybrid"]["hit@3"] >= 0.9
    assert metrics["hybrid"]["mrr"] >= metrics["dense"]["mrr"]
    assert evaluate(index, hebrew)["hybrid"]["hit@3"] >= 0.9


def test_unchanged_documents_embed_nothing(index: KnowledgeBaseIndex) -> None:
    path = sorted(CORPUS.glob("*.md"))[0]
    doc = parse_file(path.read_bytes(), path.name)[0]
    result = index.upsert_document(doc, chunk_document(doc, 300, 45))
    assert result.embedded == 0 and result.skipped > 0 and result.removed == 0


def test_chunks_point_back_into_their_document() -> None:
    path = CORPUS / "security.md"
    doc = parse_file(path.read_bytes(), path.name)[0]
    chunks = chunk_document(doc, 60, 10)
    assert len(chunks) > 1
    for chunk in chunks:
        assert doc.text[chunk.start : chunk.end] == chunk.text
        assert chunk.doc_id == doc.doc_id and chunk.source == "security.md"
