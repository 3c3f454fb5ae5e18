"""Build the BM25 snapshots of the biggest knowledge bases when the worker starts, before anyone searches them.

A snapshot is built by the first search of a knowledge base after a start (index.py ``_snapshot``): at 100,000 chunks
that search waited 27–30 s on a 2-core VM, and on a busier machine it can pass the API's 60 s read timeout and
become a 503. Knowledge bases under ``ADVISOR_WARM_SNAPSHOT_MIN_CHUNKS`` (5,000 chunks: about a second) are left to
their first search; the biggest are built first, within ``ADVISOR_WARM_SNAPSHOT_CHUNKS`` in all (memory: each
snapshot stays for the process's life, as after a first search).
"""

from __future__ import annotations

import logging
import time

from sqlalchemy import select

from service.knowledge_bases.tasks import background_priority
from service.store.models import KnowledgeBaseRow
from service.worker.runtime import Runtime

log = logging.getLogger(__name__)


def warm_at_start(runtime: Runtime) -> None:
    """``warm_snapshots`` with the worker's settings, in the calling thread lowered to background priority (a search
    thread keeps its own), as the worker's ``warm-snapshots`` thread runs it; a failure is logged."""
    background_priority()
    settings = runtime.settings
    try:
        warm_snapshots(runtime, settings.warm_snapshot_chunks, settings.warm_snapshot_min_chunks)
    except Exception:  # the database not there yet, say: every knowledge base's first search builds its own
        log.warning("building the BM25 snapshots at start failed", exc_info=True)


def warm_snapshots(runtime: Runtime, budget: int, smallest: int) -> list[tuple[str, int]]:
    """Build the snapshots of the knowledge bases of at least ``smallest`` chunks, biggest first, while their chunks
    add up to at most ``budget``; returns (knowledge base id, chunks) of each one built, in order.

    A search of a knowledge base being built waits for that build, as it would have built it itself; one that fails
    here is left to its first search. Counting a knowledge base's chunks opens its collection (creating an empty one
    if it has none yet, as its first search would).
    """
    if budget <= 0:
        return []
    started = time.monotonic()
    with runtime.database.session() as session:
        rows = list(session.scalars(select(KnowledgeBaseRow)))
        session.expunge_all()
    sized = []
    for row in rows:
        try:
            chunks = runtime.index_of(row.id).ensure().count()  # records of writes in flight too: an estimate
        except Exception:  # a collection Chroma cannot open now: its first search will say why
            log.warning("could not count the chunks of knowledge base %s", row.id, exc_info=True)
            continue
        if chunks >= smallest:
            sized.append((chunks, row.id))
    built: list[tuple[str, int]] = []
    spent = 0
    for chunks, kb_id in sorted(sized, reverse=True):
        if spent + chunks > budget:
            continue
        try:
            runtime.index_of(kb_id).refresh()
        except Exception:
            log.warning("could not build the BM25 snapshot of knowledge base %s", kb_id, exc_info=True)
            continue
        built.append((kb_id, chunks))
        spent += chunks
    if built:
        seconds = time.monotonic() - started
        log.info("built the BM25 snapshots of %d knowledge bases (%d chunks) in %.1f s", len(built), spent, seconds)
    return built
