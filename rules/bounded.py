"""Process-wide caches that stay at their bound once full: a new entry replaces the oldest one (ADR 0022).

The rules engine keeps what profiles share (signatures, candidates, rendered texts...) in caches bounded by a
number of entries. Clearing such a cache when it is full made the heap rise and fall by the whole cache, and the
process's RSS followed the highest sum of all those rises: pymalloc keeps an arena while any block in it lives, so the
RSS crept up for as long as the caches' fill levels could still line up higher (issue 18's soak). A cache that drops
its oldest entry per new one holds the same amount from the moment it is full.
"""

from __future__ import annotations

from array import array
from collections.abc import Hashable
from itertools import count
from typing import Any, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
_FREE = object()


class Bounded(dict[K, V]):
    """A dict of at most ``limit`` entries put through ``put``: past the limit each put drops the oldest put's entry.

    The put order lives in a ring of ``limit`` slots (grown as it fills). Threads may put at once (the routes run in
    a thread pool): each put takes the next slot (``next`` on a count is atomic). A key two threads put at once takes
    two slots and goes at the first. A thread stopped between taking its slot and writing it while the others went
    round the whole ring writes the same slot as another, and one key has no slot left: the next put that finds more
    than ``limit`` entries drops every key without a slot (a scan, in that rare case only).
    """

    __slots__ = ("_ring", "_turn", "limit")

    def __init__(self, limit: int) -> None:
        if limit < 1:
            raise ValueError("a bounded cache holds at least one entry")
        super().__init__()
        self.limit = limit
        self._ring: list[Any] = []
        self._turn = count()

    def put(self, key: K, value: V) -> V:
        """Keep ``value`` under ``key`` (not there yet), dropping the oldest entry when full; returns ``value``."""
        ring = self._ring
        slot = next(self._turn) % self.limit
        if slot >= len(ring):  # still filling: room for this slot and as many again (two threads may both add)
            ring.extend([_FREE] * min(self.limit - len(ring), max(slot + 1 - len(ring), len(ring), 64)))
        old = ring[slot]
        ring[slot] = key
        if old is not _FREE:
            self.pop(old, None)
        self[key] = value
        if len(self) > self.limit:
            self._drop_unslotted()
        return value

    def _drop_unslotted(self) -> None:
        slotted = set(self._ring)
        for key in [key for key in list(self) if key not in slotted]:
            self.pop(key, None)


class SeenMarks:
    """Whether a key was offered before, among about the last ``size`` keys: a fixed table of 64-bit hashes.

    A key's hash takes the slot its low bits name; a later key with the same low bits takes the slot over, so the
    answer is "not seen" for a key pushed out that way, as for one cleared out of a set. It never grows and holds no
    objects (``size`` is rounded up to a power of two; 8 bytes a slot).
    """

    __slots__ = ("_marks", "_mask")

    def __init__(self, size: int) -> None:
        slots = 1 << max(0, size - 1).bit_length()
        self._marks = array("q", bytes(8 * slots))
        self._mask = slots - 1

    def offer(self, key: Hashable) -> bool:
        """True when ``key`` was offered before (and not pushed out since); remembers it otherwise."""
        mark = hash(key)
        slot = mark & self._mask
        if self._marks[slot] == mark:
            return True
        self._marks[slot] = mark
        return False
