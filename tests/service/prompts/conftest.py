"""An in-process embedding function on the real bundled model, and example sets with a known shape."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

from service.embeddings.model import Embedder

Embed = Callable[[list[str]], list[list[float]]]

# Five near-duplicates of one billing ticket, then tickets that differ from it and from each other.
NEAR_DUPLICATES = [
    "My invoice for March is wrong, please fix the amount.",
    "My invoice for March is wrong, please correct the amount.",
    "The invoice for March is wrong, please fix the total.",
    "My March invoice is wrong, please fix the amount.",
    "My invoice for March shows the wrong amount, please fix it.",
]
DISTINCT = [
    "The whole site is down and nobody can log in.",
    "How do I change my profile picture?",
    "Please add a dark mode to the mobile app.",
    "I want to delete my account and all my data.",
    "Your API returns 500 errors for every request since this morning.",
]
TEAMS = ["billing"] * 5 + ["ops", "support", "product", "privacy", "ops"]
TASK = "Route customer support tickets to the right team"
# Models are chosen by date: every prompt in these tests is built as of this day.
TODAY = dt.date(2026, 11, 24)


def ticket_examples(json_outputs: bool = False) -> list[dict[str, str]]:
    outputs = [f'{{"team": "{team}", "urgent": {str(team == "ops").lower()}}}' if json_outputs else team for team in TEAMS]
    return [{"input": text, "output": output} for text, output in zip(NEAR_DUPLICATES + DISTINCT, outputs, strict=True)]


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return Embedder()


@pytest.fixture(scope="session")
def embed(embedder: Embedder) -> Embed:
    """The bundled model, cached per text like the worker's embed operation (hypothesis repeats inputs)."""
    cache: dict[str, list[float]] = {}

    def run(texts: list[str]) -> list[list[float]]:
        missing = list(dict.fromkeys(text for text in texts if text not in cache))
        if missing:
            cache.update(zip(missing, embedder.encode(missing), strict=True))
        return [cache[text] for text in texts]

    return run
