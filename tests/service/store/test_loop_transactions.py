"""The event loop's writer commits the rows handed in during one turn of the loop in one transaction (ADR 0038): each
caller still learns whether its own row was committed, and a row's error is its request's alone."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy.exc import IntegrityError

from service.store.db import Database
from tests.service.store import test_immediate
from tests.service.store.test_driver_insert import _stored
from tests.service.store.test_immediate import TABLE, _row, _wal_pages

T = TypeVar("T")
database = test_immediate.database  # the same fixture: a migrated SQLite file of its own


def _ids(path: Path) -> list[str]:
    with sqlite3.connect(path) as connection:
        return [advice_id for (advice_id,) in connection.execute("SELECT id FROM advice ORDER BY seq")]


def _on_a_loop(work: Callable[[], Awaitable[T]]) -> tuple[T, list[dict[str, Any]]]:
    """``work()`` on a new event loop; what it returned, and what reached the loop's exception handler."""
    unhandled: list[dict[str, Any]] = []

    async def main() -> T:
        asyncio.get_running_loop().set_exception_handler(lambda _loop, context: unhandled.append(context))
        return await asyncio.wait_for(work(), 30)  # a row never answered fails the test, not the suite

    return asyncio.run(main()), unhandled


def test_rows_handed_in_during_one_turn_are_committed_in_one_transaction(database: Database, tmp_path: Path) -> None:
    writer = database.immediate
    rows = [_row(f"together-{n}") for n in range(5)]

    async def hand_in() -> list[bool]:
        return list(await asyncio.gather(*(writer.insert_soon(TABLE, row) for row in rows)))

    outcomes, unhandled = _on_a_loop(hand_in)
    assert outcomes == [True] * 5 and unhandled == []
    assert (writer.committed, writer.transactions, writer.handed_back) == (5, 1, 0)
    assert _ids(tmp_path / "advisor.db") == [f"together-{n}" for n in range(5)]  # in the order they were handed in
    assert not writer._connection.in_transaction


def test_the_rows_are_stored_as_one_insert_stores_them(database: Database, tmp_path: Path) -> None:
    alone = _row("same")
    assert database.immediate.insert(TABLE, alone)
    stored_alone = _stored(tmp_path / "advisor.db")

    async def hand_in() -> tuple[bool, ...]:
        return tuple(await asyncio.gather(*(database.immediate.insert_soon(TABLE, _row(f"same-{n}")) for n in range(2))))

    assert _on_a_loop(hand_in)[0] == (True, True)
    assert _stored(tmp_path / "advisor.db") == stored_alone * 3  # ids aside, byte for byte the same values


def test_rows_of_separate_turns_take_separate_transactions(database: Database) -> None:
    writer = database.immediate

    async def one_by_one() -> list[bool]:
        return [await writer.insert_soon(TABLE, _row()) for _ in range(3)]

    assert _on_a_loop(one_by_one)[0] == [True] * 3
    assert (writer.committed, writer.transactions) == (3, 3)


def test_a_row_that_fails_fails_only_its_own_request(database: Database, tmp_path: Path) -> None:
    writer = database.immediate
    assert writer.insert(TABLE, _row("taken"))

    async def hand_in() -> list[Any]:
        rows = [_row("first"), _row("taken"), _row("third")]
        return list(await asyncio.gather(*(writer.insert_soon(TABLE, row) for row in rows), return_exceptions=True))

    (first, taken, third), unhandled = _on_a_loop(hand_in)
    assert first is True and third is True and unhandled == []
    assert isinstance(taken, IntegrityError)  # SQLAlchemy's error, as a single insert raises it
    assert _ids(tmp_path / "advisor.db") == ["taken", "first", "third"]
    assert writer.handed_back == 0 and not writer._connection.in_transaction


def test_a_busy_database_hands_every_row_back_with_nothing_written(database: Database, tmp_path: Path) -> None:
    writer = database.immediate
    other = sqlite3.connect(tmp_path / "advisor.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another writer holds SQLite's write lock

    async def hand_in() -> list[bool]:
        return list(await asyncio.gather(*(writer.insert_soon(TABLE, _row()) for _ in range(3))))

    try:
        assert _on_a_loop(hand_in)[0] == [False] * 3
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert writer.handed_back == 3 and writer.committed == 0
    assert _ids(tmp_path / "advisor.db") == []
    assert _on_a_loop(hand_in)[0] == [True] * 3  # the connection is usable again, nothing left open
    assert writer.transactions == 1


@pytest.mark.parametrize("gone", [0, 1], ids=["the-first-row-which-commits", "a-row-that-joined"])
def test_a_request_gone_before_the_commit_still_has_its_row_stored(database: Database, tmp_path: Path, gone: int) -> None:
    writer = database.immediate

    async def hand_in() -> list[bool]:
        tasks = [asyncio.ensure_future(writer.insert_soon(TABLE, _row(f"row-{n}"))) for n in range(3)]
        await asyncio.sleep(0)  # each task has handed its row in; the commit is the loop's next turn
        tasks[gone].cancel()
        done = await asyncio.gather(*(task for n, task in enumerate(tasks) if n != gone))
        with pytest.raises(asyncio.CancelledError):
            await tasks[gone]
        return list(done)

    outcomes, unhandled = _on_a_loop(hand_in)
    assert outcomes == [True, True] and unhandled == []
    assert _ids(tmp_path / "advisor.db") == ["row-0", "row-1", "row-2"]  # what was accepted is not lost
    assert writer.transactions == 1


def test_checkpoints_keep_up_when_rows_come_in_groups(database: Database, tmp_path: Path) -> None:
    """Groups of 5 rows never land on a multiple of the 128 inserts between checkpoints except every 640th: the
    checkpoint must start whenever a group crosses one, or the WAL keeps ~3 pages a row until then (~2,000 pages)."""
    writer = database.immediate
    largest = 0

    async def groups() -> None:
        nonlocal largest
        for _ in range(120):
            assert await asyncio.gather(*(writer.insert_soon(TABLE, _row(size=6000)) for _ in range(5))) == [True] * 5
            writer.wait_checkpoint()
            largest = max(largest, _wal_pages(tmp_path / "advisor.db"))

    _on_a_loop(groups)
    assert writer.committed == 600 and writer.transactions == 120
    assert largest < 1_300
