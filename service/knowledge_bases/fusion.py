"""Fusing dense and BM25 rankings, weighted by how much the embedding model can read the question.

A naive equal-weight RRF lost to dense search alone on our English+Hebrew corpus (MACHINE-NOTES).
The reason is that the two lists are not equally trustworthy per question: MiniLM's English
wordpiece vocabulary shreds Hebrew into single letters, so its Hebrew neighbours are close to
random, while on English paraphrases dense search is the better ranker. ``dense_weight`` measures
that from the model's own tokenizer: the more characters per wordpiece, the more the model
"knows" the words. A multilingual model gets a high weight on Hebrew without any change here.

Measured on tests/service/knowledge_bases/corpus (38 questions, half Hebrew): dense alone hit@1 0.711 (Hebrew
0.476), BM25 alone 0.974, equal-weight RRF 0.947-1.0 depending on the tokenizer, this weighting 1.0.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from service.knowledge_bases.defaults import NO_MATCH_BELOW, RRF_K

_WORD = re.compile(r"\w+")


def dense_weight(q: str, tokenizer: Any, low: float = 1.6, high: float = 2.6, floor: float = 0.2) -> float:
    """``floor``..1: how well the embedding model's vocabulary covers ``q`` (chars per wordpiece, scaled).

    English questions come out at 3-5 characters per wordpiece and Hebrew at ~1 with MiniLM;
    ``low``/``high`` place the ramp between the two. The floor keeps dense hits as a tie-breaker
    and a fallback when no word of the question is in the BM25 vocabulary. Without a tokenizer,
    dense is trusted fully.
    """
    words = _WORD.findall(q)
    if tokenizer is None or not words:
        return 1.0
    pieces = tokenizer.tokenize(" ".join(words))
    unknown = sum(1 for piece in pieces if piece in ("[UNK]", "<unk>"))
    letters = sum(len(word) for word in words)
    per_piece = letters / max(1, len(pieces) + 3 * unknown)  # an unknown piece reads as nothing
    return min(1.0, max(floor, (per_piece - low) / (high - low)))


def rrf(rankings: Sequence[Sequence[str]], weights: Sequence[float], k: int = RRF_K) -> list[tuple[str, float]]:
    """Weighted reciprocal rank fusion: sum of weight / (k + rank) over the lists an item is in."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if weight <= 0:
            continue
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


# Relevance: a logistic model of "this hit's document answers the question", so that a score means
# the same on every question and every knowledge base (an RRF score of 0.033 means nothing by
# itself). Its inputs are the cosine similarity and the lexical coverage (``LexicalIndex.coverage``),
# each split by ``dense_weight``: English questions lean on the cosine, Hebrew ones on the words.
# Fitted by `bench/retrieval.py --fit` on the bundled corpus (its questions and unanswerable.jsonl)
# and the dev half of the held-out corpus; checked on the other half (docs/decisions/0012).
RELEVANCE_WEIGHTS = {"bias": -1.66, "cosine_read": 3.2, "cosine_unread": 0.54, "coverage_read": 1.68, "coverage_unread": 4.2}


def relevance(cosine: float, coverage: float, weight: float, weights: dict[str, float] = RELEVANCE_WEIGHTS) -> float:
    """0..1: the estimated probability that a hit is from a document that answers the question."""
    z = (
        weights["bias"]
        + weights["cosine_read"] * weight * cosine
        + weights["cosine_unread"] * (1 - weight) * cosine
        + weights["coverage_read"] * weight * coverage
        + weights["coverage_unread"] * (1 - weight) * coverage
    )
    return round(1.0 / (1.0 + math.exp(-z)), 4)


def no_good_match(relevances: Sequence[float | None]) -> bool:
    """True when there is nothing to ground an answer on: no hits, or none as relevant as ``NO_MATCH_BELOW``.

    A hit of unknown relevance (None, built by hand) counts as relevant.
    """
    return not any(r is None or r >= NO_MATCH_BELOW for r in relevances)
