"""Choosing examples: maximal marginal relevance (MMR) over sentence embeddings, within a token room."""

from __future__ import annotations

import numpy as np

from service.prompts.schemas import Candidate

LAMBDA = 0.7  # MMR: 1.0 is relevance only, 0.0 diversity only
EMBED_INPUT_CHARS, EMBED_OUTPUT_CHARS = 1000, 500


def embedding_text(candidate: Candidate) -> str:
    """What is embedded for an example: the model reads ~256 word pieces, so longer text would only cost transfer."""
    return f"{candidate.input[:EMBED_INPUT_CHARS]}\n{candidate.output[:EMBED_OUTPUT_CHARS]}"


def unit_rows(vectors: list[list[float]]) -> np.ndarray:
    matrix = np.asarray(vectors, dtype=np.float64)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.asarray(matrix / np.where(norms == 0, 1.0, norms))


def select_mmr(vectors: np.ndarray, query: np.ndarray, costs: np.ndarray, room: int, k: int) -> list[int]:
    """Greedy MMR over unit vectors: each pick is relevant to the query and unlike the picks before; all fit ``room``."""
    relevance = vectors @ query
    redundancy = np.zeros(len(costs))
    available = costs <= room
    chosen: list[int] = []
    while len(chosen) < k and available.any():
        # Rounding makes float noise irrelevant: ties go to the earliest example, the same on every run.
        score = np.where(available, np.round(LAMBDA * relevance - (1 - LAMBDA) * redundancy, 6), -np.inf)
        best = int(np.argmax(score))
        chosen.append(best)
        room -= int(costs[best])
        available[best] = False
        available &= costs <= room
        redundancy = np.maximum(redundancy, vectors @ vectors[best])
    return chosen
