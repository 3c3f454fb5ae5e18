"""Retrieval quality of a knowledge base on labelled questions: hit@1, hit@3, hit@5 and MRR per mode and language.

A question counts as a hit at k when its expected document (source file name or doc id) is among
the first k DISTINCT documents of the ranking: five chunks of one document are one answer, not five.
A question's language is its ``lang`` when given, else guessed from its script (Hebrew, Arabic, else
"en"): a bilingual knowledge base is only as good as its weaker language, so both are reported.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Protocol

from service.knowledge_bases.search import MODES, Hit, Mode

CHUNKS_PER_QUESTION = 30  # deep enough to find 5 distinct documents in practice
_SCRIPTS = (("he", re.compile(r"[\u05d0-\u05ea]")), ("ar", re.compile(r"[\u0621-\u064a]")))


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


def language_of(item: Mapping[str, Any]) -> str:
    """The item's ``lang``, else the script of its question."""
    stated = item.get("lang")
    if isinstance(stated, str) and stated:
        return stated
    q = str(item.get("q", ""))
    return next((lang for lang, script in _SCRIPTS if script.search(q)), "en")


def metrics(ranks: Sequence[int | None]) -> dict[str, float]:
    """hit@1, hit@3, hit@5, MRR and n of a list of ranks (None: not found)."""
    n = len(ranks)
    return {
        **{f"hit@{k}": _share(sum(1 for r in ranks if r is not None and r <= k), n) for k in (1, 3, 5)},
        "mrr": _share(sum(1.0 / r for r in ranks if r is not None), n),
        "n": n,
    }


def evaluate(index: Searchable, items: Sequence[Mapping[str, Any]], modes: Sequence[Mode] = MODES) -> dict[str, dict[str, Any]]:
    """{mode: {"hit@1", "hit@3", "hit@5", "mrr", "n", "by_language": {lang: {...}}}} over ``{"q", "expected_doc", "lang"?}``."""
    refresh = getattr(index, "refresh", None)
    if callable(refresh):
        refresh()  # score the knowledge base as it is now, not a BM25 snapshot still catching up
    languages = [language_of(item) for item in items]
    report: dict[str, dict[str, Any]] = {}
    for mode in modes:
        ranks = [
            rank_of(str(item["expected_doc"]), ranked_documents(index.query(str(item["q"]), CHUNKS_PER_QUESTION, mode)))
            for item in items
        ]
        by_language = {
            lang: metrics([rank for rank, other in zip(ranks, languages, strict=True) if other == lang])
            for lang in sorted(set(languages))
        }
        report[mode] = {**metrics(ranks), "by_language": by_language}
    return report


def _share(value: float, n: int) -> float:
    return round(value / n, 4) if n else 0.0
