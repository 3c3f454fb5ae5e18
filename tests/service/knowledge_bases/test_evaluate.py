"""Retrieval quality on the bilingual corpus (printed), and how hit@k and MRR are counted."""

from __future__ import annotations

import json
from collections.abc import Sequence

from service.knowledge_bases.chunking import chunk_document
from service.knowledge_bases.evaluate import evaluate
from service.knowledge_bases.index import Hit, KnowledgeBaseIndex, Mode
from service.knowledge_bases.lexical import LexicalIndex
from service.knowledge_bases.parsers import parse_file
from tests.service.knowledge_bases.conftest import CORPUS, load_questions


def is_hebrew(text: str) -> bool:
    return any("\u0590" <= ch <= "\u05ff" for ch in text)


class Remembered:
    """The index with each (question, mode) searched once: the three reports share their queries."""

    def __init__(self, index: KnowledgeBaseIndex) -> None:
        self.index = index
        self.seen: dict[tuple[str, int, str], list[Hit]] = {}

    def query(self, q: str, k: int = 5, mode: Mode = "hybrid", embedding: Sequence[float] | None = None) -> list[Hit]:
        key = (q, k, mode)
        if key not in self.seen:
            self.seen[key] = self.index.query(q, k, mode)
        return self.seen[key]


def test_hybrid_puts_the_right_document_in_the_top_3(bilingual: KnowledgeBaseIndex) -> None:
    index = Remembered(bilingual)
    items = load_questions()
    hebrew = [item for item in items if is_hebrew(item["q"])]
    english = [item for item in items if not is_hebrew(item["q"])]
    assert len(hebrew) >= 10 and len(english) >= 10
    report = {"all": evaluate(index, items), "hebrew": evaluate(index, hebrew), "english": evaluate(index, english)}
    print("\nbilingual evaluation:", json.dumps(report, indent=1))
    assert report["all"]["hybrid"]["hit@3"] >= 0.9 and report["hebrew"]["hybrid"]["hit@3"] >= 0.9
    assert report["all"]["hybrid"]["mrr"] >= report["all"]["dense"]["mrr"]
    assert report["english"]["hybrid"]["hit@1"] >= report["english"]["dense"]["hit@1"], "fusion must not cost English"


def test_hebrew_prefix_stripping_helps_bm25() -> None:
    chunks = [
        (chunk.chunk_id, f"{chunk.heading}\n{chunk.text}")
        for path in sorted(CORPUS.glob("*_he.md"))
        for doc in parse_file(path.read_bytes(), path.name)
        for chunk in chunk_document(doc)
    ]
    questions = [item for item in load_questions() if is_hebrew(item["q"]) and item["expected_doc"].endswith("_he.md")]

    def reciprocal_ranks(index: LexicalIndex) -> float:
        total = 0.0
        for item in questions:
            docs = list(dict.fromkeys(chunk_id.split("#")[0] for chunk_id, _ in index.search(item["q"], 20)))
            total += 1 / (docs.index(item["expected_doc"]) + 1) if item["expected_doc"] in docs else 0
        return total / len(questions)

    with_prefixes, without = reciprocal_ranks(LexicalIndex(chunks)), reciprocal_ranks(LexicalIndex(chunks, prefixes=False))
    print(f"\nBM25 MRR on {len(questions)} Hebrew questions: prefixes stripped {with_prefixes:.3f}, as written {without:.3f}")
    assert with_prefixes > without


class Ranked:
    """A fixed ranking, to check the arithmetic of ``evaluate``."""

    def __init__(self, rankings: dict[str, list[str]]) -> None:
        self.rankings = rankings

    def query(self, q: str, k: int = 5, mode: Mode = "hybrid", embedding: Sequence[float] | None = None) -> list[Hit]:
        return [Hit(doc, f"id-{doc}", 0, 1.0, "", "", 0, 0) for doc in self.rankings[q]][:k]


def test_hits_count_distinct_documents_and_match_source_or_id() -> None:
    index = Ranked({"a": ["x", "x", "x", "y"], "b": ["x", "y", "z", "w", "v", "target"], "c": ["q"]})
    items = [{"q": "a", "expected_doc": "y"}, {"q": "b", "expected_doc": "id-target"}, {"q": "c", "expected_doc": "q"}]
    report = evaluate(index, items, modes=("dense",))
    overall = {"hit@1": 0.3333, "hit@3": 0.6667, "hit@5": 0.6667, "mrr": round((1 / 2 + 1 / 6 + 1) / 3, 4), "n": 3}
    assert report == {"dense": {**overall, "by_language": {"en": overall}}}


def test_each_language_is_reported_apart() -> None:
    index = Ranked({"a": ["x", "y"], "מה": ["y", "x"], "b": ["z"]})
    items = [
        {"q": "a", "expected_doc": "y"},  # rank 2, English by its script
        {"q": "מה", "expected_doc": "y"},  # rank 1, Hebrew by its script
        {"q": "b", "expected_doc": "z", "lang": "he"},  # rank 1, Hebrew as stated
    ]
    report = evaluate(index, items, modes=("lexical", "hybrid"))
    assert set(report) == {"lexical", "hybrid"}
    by_language = report["hybrid"]["by_language"]
    assert by_language["en"] == {"hit@1": 0.0, "hit@3": 1.0, "hit@5": 1.0, "mrr": 0.5, "n": 1}
    assert by_language["he"] == {"hit@1": 1.0, "hit@3": 1.0, "hit@5": 1.0, "mrr": 1.0, "n": 2}
    assert report["hybrid"]["n"] == 3 and report["hybrid"]["mrr"] == round((0.5 + 1 + 1) / 3, 4)
