"""The rules engine's bounded caches stay full once full, never exceed their bound, and forget the oldest first."""

from __future__ import annotations

import sys
import threading

import pytest

from rules.bounded import Bounded, SeenMarks


def test_a_full_cache_drops_its_oldest_entry_per_new_one() -> None:
    cache: Bounded[int, str] = Bounded(3)
    for key in range(3):
        assert cache.put(key, str(key)) == str(key)
    assert dict(cache) == {0: "0", 1: "1", 2: "2"}
    cache.put(3, "3")
    assert dict(cache) == {1: "1", 2: "2", 3: "3"}  # full, and still full: not emptied
    for key in range(4, 10):
        cache.put(key, str(key))
        assert len(cache) == 3
    assert sorted(cache) == [7, 8, 9]


def test_a_key_dropped_elsewhere_leaves_the_bound_intact() -> None:
    cache: Bounded[str, int] = Bounded(2)
    cache.put("a", 1)
    cache.put("b", 2)
    del cache["a"]
    cache.put("c", 3)  # takes a's slot; nothing left to drop there
    cache.put("d", 4)  # takes b's
    assert dict(cache) == {"c": 3, "d": 4}


def test_threads_putting_at_once_never_exceed_the_bound() -> None:
    cache: Bounded[int, int] = Bounded(50)
    start = threading.Barrier(8)

    def put_many(seed: int) -> None:
        start.wait()
        for n in range(20_000):
            key = (seed * 7919 + n) % 400  # overlapping keys: two threads often put the same one
            if cache.get(key) is None:
                cache.put(key, n)

    threads = [threading.Thread(target=put_many, args=(seed,)) for seed in range(8)]
    switch = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switch)
    assert len(cache) <= 50
    assert set(cache) <= set(cache._ring)  # every kept key can still be dropped


def test_a_bound_below_one_is_refused() -> None:
    with pytest.raises(ValueError):
        Bounded(0)


def test_marks_say_seen_from_the_second_offer() -> None:
    marks = SeenMarks(1000)
    assert len(marks._marks) == 1024
    keys = [("profile", n) for n in range(200)]
    assert not any(marks.offer(key) for key in keys)
    again = [marks.offer(key) for key in keys]
    assert sum(again) >= 150  # a few share a slot with a later key and were pushed out
    assert marks.offer(("never", "offered")) is False


def test_marks_hold_a_fixed_table() -> None:
    marks = SeenMarks(64)
    before = marks._marks.buffer_info()
    for n in range(10_000):
        marks.offer(n * 2_654_435_761)
    assert marks._marks.buffer_info() == before
