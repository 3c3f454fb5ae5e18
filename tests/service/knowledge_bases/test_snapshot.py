"""BM25 snapshots: current when a build is quick, never waited for by a search when it is not."""

from __future__ import annotations

import threading

from service.knowledge_bases import snapshot as snapshots
from service.knowledge_bases.lexical import LexicalIndex
from service.knowledge_bases.snapshot import Snapshot, SnapshotCache


def _snapshot(version: str) -> Snapshot:
    return Snapshot(version, [version], {version: "text"}, {version: {}}, LexicalIndex([(version, "text")]))


def test_a_quick_build_is_done_inline_so_the_new_version_answers() -> None:
    cache = SnapshotCache()
    assert cache.get("kb", "v1", _snapshot).version == "v1"
    assert cache.get("kb", "v2", _snapshot).version == "v2"


def test_a_slow_build_never_holds_up_a_search() -> None:
    cache = SnapshotCache()
    cache.get("kb", "v1", _snapshot)
    # The last build took longer than a search may wait (as at 5,000 chunks): the next version builds behind it.
    cache._build_seconds["kb"] = snapshots.INLINE_SECONDS * 2
    cache._finished_at["kb"] = 0.0
    release, started = threading.Event(), threading.Event()

    def slow(version: str) -> Snapshot:
        started.set()
        release.wait(10)
        return _snapshot(version)

    assert cache.get("kb", "v2", slow).version == "v1"  # answered from the old snapshot at once
    assert started.wait(10)
    release.set()
    for _ in range(200):
        if cache.get("kb", "v2", slow).version == "v2":
            break
        threading.Event().wait(0.05)
    assert cache.get("kb", "v2", slow).version == "v2"
    # fresh=True (the end of an ingestion, an evaluation) always builds the version asked for.
    assert cache.get("kb", "v3", _snapshot, fresh=True).version == "v3"
