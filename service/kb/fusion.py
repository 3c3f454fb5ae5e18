"""Fusing dense and BM25 rankings, weighted by how much the embedding model can read the question.

A naive equal-weight RRF lost to dense search alone on our English+Hebrew corpus (MACHINE-NOTES).
The reason is that the two lists are not equally trustworthy per question: MiniLM's English
wordpiece vocabulary shreds Hebrew into single letters, so its Hebrew neighbours are close to
random, while on English paraphrases dense search is the better ranker. ``dense_weight`` measures
that from the model's own tokenizer: the more characters per wordpiece, the more the model
"knows" the words. A multilingual model gets a high weight on Hebrew without any change here.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

RRF_K = 60  # the constant from Cormack et al.; measured flat between 10 and 100 on our corpus
_WORD = re.compile(r"\w+")


def dense_weight(q: str, tokenizer: Any, low: float = 1.6, high: float = 2.6) -> float:
    """0..1: how well the embedding model's vocabulary covers ``q`` (chars per wordpiece, scaled).

    English questions come out at 3-5 characters per wordpiece and Hebrew at ~1 with MiniLM;
    ``low``/``high`` place the ramp between the two. Without a tokenizer, dense is trusted fully.
    """
    words = _WORD.findall(q)
    if tokenizer is None or not words:
        return 1.0
    letters = sum(len(word) for word in words)
    pieces = [p for p in tokenizer.tokenize(" ".join(words)) if p not in ("[UNK]", "<unk>")]
    unknown = len(tokenizer.tokenize(" ".join(words))) - len(pieces)
    per_piece = letters / max(1, len(pieces) + 4 * unknown)  # an unknown piece reads as nothing
    return min(1.0, max(0.0, (per_piece - low) / (high - low)))


def rrf(rankings: Sequence[Sequence[str]], weights: Sequence[float], k: int = RRF_K) -> list[tuple[str, float]]:
    """Weighted reciprocal rank fusion: sum of weight / (k + rank) over the lists an item is in."""
    scores: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if weight <= 0:
            continue
        for rank, item in enumerate(ranking, 1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])
