"""Records that only add to a knowledge base are written live in one call; a replacement still goes pending, flip."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from chromadb.api.models.Collection import Collection

from service.knowledge_bases import index as indexes
from service.knowledge_bases import writes
from service.knowledge_bases.index import KnowledgeBaseIndex
from tests.service.knowledge_bases.test_index import EXPENSES, PARKING, ingest, raw_records

WRITES = ("upsert", "update", "delete", "add")


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str, list[str]]]]:
    """Every Chroma write, with the states of the metadata it sets, in order."""
    seen: list[tuple[str, list[str]]] = []
    for name in WRITES:
        original = getattr(Collection, name)

        def wrapped(self: Collection, *args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
            states = [str(meta.get("state")) for meta in kwargs.get("metadatas") or []]
            seen.append((_name, states))
            return _original(self, *args, **kwargs)

        monkeypatch.setattr(Collection, name, wrapped)
    yield seen


def test_a_new_document_is_one_live_upsert(kb: KnowledgeBaseIndex, calls: list[tuple[str, list[str]]]) -> None:
    [(embedded, skipped, removed)] = ingest(kb, "expenses.md", EXPENSES.encode())
    assert embedded >= 3 and (skipped, removed) == (0, 0)
    assert calls == [("upsert", ["live"] * embedded)]
    assert {meta["state"] for meta in raw_records(kb)} == {"live"}
    assert kb.query("When is my expense report due?", 1)[0].doc_id == "expenses.md"
    # Growing a document without dropping a chunk only adds records: live again, in one call.
    calls.clear()
    grown = EXPENSES + "\n\n## Parking\n\nParking is refunded with a receipt."
    [(more, _, removed)] = ingest(kb, "expenses.md", grown.encode())
    assert removed == 0 and calls == [("upsert", ["live"] * more)], calls


def test_a_replacement_is_written_pending_then_flipped(kb: KnowledgeBaseIndex, calls: list[tuple[str, list[str]]]) -> None:
    ingest(kb, "parking.md", PARKING.encode())
    calls.clear()
    [(embedded, _, removed)] = ingest(kb, "parking.md", (PARKING.replace("מינוס 2", "מינוס 3")).encode())
    assert embedded >= 1 and removed >= 1
    assert [name for name, _ in calls] == ["upsert", "update", "delete"]
    assert calls[0][1] == ["pending"] * embedded and sorted(set(calls[1][1])) == ["live", "stale"]


def test_more_new_records_than_one_call_takes_go_pending(
    kb: KnowledgeBaseIndex, calls: list[tuple[str, list[str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(writes, "WRITE_BATCH", 2)  # what one call may take, as far as the plan knows
    [(embedded, _, _)] = ingest(kb, "expenses.md", EXPENSES.encode())
    assert embedded > 2
    names = [name for name, _ in calls]
    assert names == ["upsert", "update"], calls
    assert all(state == "pending" for name, states in calls if name == "upsert" for state in states)
    assert {meta["state"] for meta in raw_records(kb)} == {"live"}


def test_a_live_write_counts_as_a_change_of_the_live_records(kb: KnowledgeBaseIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    """A search during the write must not take the snapshot as exact (ADR 0025): the write is inside a change."""
    key = str(kb.ensure().id)
    stamps: list[int | None] = []
    upsert = Collection.upsert

    def watching(self: Collection, *args: Any, **kwargs: Any) -> None:
        stamps.append(indexes._visibility.stamp(key))
        upsert(self, *args, **kwargs)

    monkeypatch.setattr(Collection, "upsert", watching)
    before = indexes._visibility.stamp(key)
    ingest(kb, "parking.md", PARKING.encode())
    assert stamps == [None] and before is not None and indexes._visibility.stamp(key) == before + 1
    assert Counter(meta["state"] for meta in raw_records(kb)) == Counter({"live": len(raw_records(kb))})
