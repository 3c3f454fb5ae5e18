"""Retrieval quality of a knowledge base on labelled questions: hit@1, hit@3, hit@5 and MRR per mode.

A question counts as a hit at k when its expected document (source file name or doc id) is among
the first k DISTINCT documents of the ranking: five chunks of one document are one answer, not five.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from service.knowledge_bases.index import Hit, Mode

CHUNKS_PER_QUESTION = 30  # deep enough to find 5 distinct documents in practice


class Searchable(Protocol):
    def query(self, q: str, k: int = 5, mode: Mode = "hybrid", embedding: Sequence[float] | None = None) -> list[Hit]: ...


def ranked_documents(hits: Iterable[Hit]) -> list[tuple[str, str]]:
    """(source, doc_id) of each distinct document, in order of first appearance."""
    seen: dict[tuple[str, str], None] = {}
    for hit in hits:
        seen.setdefault((hit.doc, hit.doc_id), None)
    return list(seen)


def rank_of(expected: str, documents: list[tuple[str, str]]) -> int | None:
    """1-based rank of the expected document (matched by source or doc id), None when absent."""
    for rank, (source, doc_id) in enumerate(documents, 1):
        if expected in (source, doc_id):
            return rank
    return None


def evaluate(
    index: Searchable, items: Sequence[Mapping[str, Any]], modes: Sequence[Mode] = ("dense", "hybrid")
) -> dict[str, dict[str, float]]:
    """{mode: {"hit@1", "hit@3", "hit@5", "mrr", "n"}} over items of ``{"q", "expected_doc"}``."""
    refresh = getattr(index, "refresh", None)
    if callable(refresh):
        refresh()  # score the knowledge base as it is now, not a BM25 snapshot still catching up
    report: dict[str, dict[str, float]] = {}
    for mode in modes:
        ranks = [
            rank_of(str(item["expected_doc"]), ranked_documents(index.query(str(item["q"]), CHUNKS_PER_QUESTION, mode)))
            for item in items
        ]
        n = len(ranks)
        report[mode] = {
            **{f"hit@{k}": _share(sum(1 for r in ranks if r is not None and r <= k), n) for k in (1, 3, 5)},
            "mrr": _share(sum(1.0 / r for r in ranks if r is not None), n),
            "n": n,
        }
    return report


def _share(value: float, n: int) -> float:
    return round(value / n, 4) if n else 0.0
