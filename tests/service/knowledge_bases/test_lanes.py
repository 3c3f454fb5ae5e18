"""Searches and ingestion embed on separate lanes, and an ingestion runs at background priority (ADR 0015)."""

from __future__ import annotations

import os
import threading

import pytest

from service.config import Settings
from service.knowledge_bases.tasks import INGEST_NICENESS, background_priority
from service.worker.runtime import Runtime

needs_thread_priority = pytest.mark.skipif(not hasattr(os, "setpriority"), reason="no per-thread priority here")


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())


@needs_thread_priority
def test_an_ingestion_thread_lowers_only_itself_and_what_it_starts() -> None:
    seen: dict[str, int] = {}

    def ingestion() -> None:
        background_priority()
        background_priority()  # once is enough; a second call changes nothing
        seen["ingestion"] = _nice()
        # The ingest lane's ONNX pool threads are started from this thread, so they inherit its priority.
        child = threading.Thread(target=lambda: seen.__setitem__("child", _nice()))
        child.start()
        child.join()

    before = _nice()
    thread = threading.Thread(target=ingestion)
    thread.start()
    thread.join()
    assert seen["ingestion"] >= INGEST_NICENESS and seen["child"] == seen["ingestion"]
    assert _nice() == before  # the searching threads keep theirs


def test_each_lane_has_its_own_embedder_and_they_agree(settings: Settings) -> None:
    runtime = Runtime(settings)
    try:
        query, ingest = runtime.embedder(None), runtime.embedder(None, "ingest")
        assert query is not ingest and (query.lane, ingest.lane) == ("query", "ingest")
        assert runtime.embedder(None, "ingest") is ingest
        [a], [b] = query.encode(["Expense reports are due on the 5th."]), ingest.encode(["Expense reports are due on the 5th."])
        assert max(abs(x - y) for x, y in zip(a, b, strict=True)) < 1e-6
    finally:
        runtime.close()
