"""The worker builds the BM25 snapshots of its biggest knowledge bases when it starts, within a budget of chunks."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.config import Settings
from service.knowledge_bases import index as indexes
from service.store.models import KnowledgeBaseRow
from service.worker.runtime import Runtime
from service.worker.warm import warm_at_start, warm_snapshots
from tests.service.knowledge_bases.test_index import BADGES, EXPENSES, PARKING, ingest

DOCUMENTS = {"big": (EXPENSES, PARKING, BADGES), "middle": (EXPENSES,), "small": (BADGES,)}


@pytest.fixture
def runtime(tmp_path: Path) -> Iterator[Runtime]:
    """A worker's runtime with three knowledge bases of different sizes, none of whose snapshots is built."""
    opened = Runtime(Settings(data_dir=tmp_path, warm_snapshot_min_chunks=1))
    with opened.database.session() as session:
        for name in DOCUMENTS:
            row = KnowledgeBaseRow(id=name, tenant_id="t", name=name, collection=f"warm-{name}", chunk_tokens=12, chunk_overlap=2)
            session.add(row)
        session.commit()
    for name, texts in DOCUMENTS.items():
        kb = opened.index_of(name)
        for number, text in enumerate(texts):
            ingest(kb, f"doc{number}.md", text.encode(), chunk_tokens=12)
        indexes._snapshots.forget(str(kb.ensure().id))
    yield opened
    opened.close()


def _chunks(runtime: Runtime, name: str) -> int:
    return runtime.index_of(name).ensure().count()


def _built(runtime: Runtime, name: str) -> bool:
    kb = runtime.index_of(name)
    snapshot = indexes._snapshots.current(str(kb.ensure().id))
    return snapshot is not None and snapshot.version == kb._version()


def test_the_biggest_knowledge_bases_within_the_budget_are_built_biggest_first(runtime: Runtime) -> None:
    big, middle, small = (_chunks(runtime, name) for name in DOCUMENTS)
    assert big > middle > small > 0
    built = warm_snapshots(runtime, budget=big + small, smallest=small)
    assert built == [("big", big), ("small", small)]  # the middle one would pass the budget: skipped, not the rest
    assert [_built(runtime, name) for name in DOCUMENTS] == [True, False, True]
    snapshot = indexes._snapshots.current(str(runtime.index_of("big").ensure().id))
    assert runtime.index_of("big").query("hotel cap in London", 3)
    assert indexes._snapshots.current(str(runtime.index_of("big").ensure().id)) is snapshot  # the search built nothing


def test_small_knowledge_bases_and_a_zero_budget_are_left_to_their_first_search(runtime: Runtime) -> None:
    assert warm_snapshots(runtime, budget=0, smallest=1) == []
    middle = _chunks(runtime, "middle")
    assert [name for name, _ in warm_snapshots(runtime, budget=10**6, smallest=middle)] == ["big", "middle"]
    assert not _built(runtime, "small")


def test_the_worker_start_uses_the_settings(runtime: Runtime, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="service.worker.warm"):
        # As the worker runs it: in a thread of its own, which it lowers to background priority. The settings here
        # take every knowledge base of at least one chunk, within the default 300,000 chunks.
        thread = threading.Thread(target=warm_at_start, args=(runtime,))
        thread.start()
        thread.join()
    assert all(_built(runtime, name) for name in DOCUMENTS)
    assert "built the BM25 snapshots of 3 knowledge bases" in caplog.text
