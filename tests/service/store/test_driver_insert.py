"""The advice insert through SQLite's driver stores exactly what SQLAlchemy's Core insert stores (ADR 0018)."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert
from sqlalchemy.exc import IntegrityError

from service.advice.repository import AdviceRepository
from service.store import driver
from service.store.db import Database, upgrade
from service.store.models import AdviceRow


def _values(advice_id: str, artifact: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "id": advice_id,
        "tenant_id": "acme",
        "created_at": dt.datetime(2026, 12, 6, 3, 4, 5, 67, tzinfo=dt.UTC),
        "strategy": "rag",
        "task": "שאלות על מדריכים \u2014 manuals",
        "profile": {"task": "x", "examples": 12, "share": 0.25, "big": 2**70},
        "verdict": {"reasons": [{"because": "עברית and \u00e9"}], "score": 1.5, "none": None},
        "request": {},
        "artifact": artifact,
        "rules_version": "v1",
        "catalog_as_of": "2026-11-24",
    }


def _stored(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT * FROM advice ORDER BY seq").fetchall()
    return [row[2:] for row in rows]  # without seq and id


@pytest.fixture
def database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'advisor.db'}")
    upgrade(database.engine)
    return database


@pytest.mark.parametrize("artifact", [None, {"parts": [{"kind": "prompt", "text": "ok"}]}])
def test_driver_insert_stores_what_sqlalchemy_stores(database: Database, tmp_path: Path, artifact: Any) -> None:
    with database.session() as session:
        session.execute(insert(AdviceRow.__table__), _values("core", artifact))
        values = _values("driver", artifact)
        del values["tenant_id"]
        AdviceRepository(session, "acme").insert(values)
        session.commit()
    core, through_driver = _stored(tmp_path / "advisor.db")
    assert through_driver == core
    with database.session() as session:
        assert AdviceRepository(session, "acme").get("driver").verdict == values["verdict"]  # type: ignore[union-attr]


def test_driver_errors_are_sqlalchemy_errors(database: Database) -> None:
    values = _values("twice", None)
    del values["tenant_id"]
    with database.session() as session:
        AdviceRepository(session, "acme").insert(values)
        with pytest.raises(IntegrityError):
            AdviceRepository(session, "acme").insert(values)


def test_cursor_events_take_sqlalchemy_path(database: Database) -> None:
    seen: list[str] = []

    def watch(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(database.engine, "after_cursor_execute", watch)
    try:
        with database.session() as session:
            assert not driver.insert_row(session.connection(), AdviceRow.__table__, _values("watched", None))  # type: ignore[arg-type]
            values = _values("watched", None)
            del values["tenant_id"]
            AdviceRepository(session, "acme").insert(values)
            session.commit()
    finally:
        event.remove(database.engine, "after_cursor_execute", watch)
    assert any(statement.startswith("INSERT INTO advice") for statement in seen)


def test_a_first_write_commits_at_once_and_a_later_one_waits_for_the_transaction(database: Database, tmp_path: Path) -> None:
    alone, later = _values("alone", None), _values("later", None)
    for values in (alone, later):
        del values["tenant_id"]
    with database.session() as session:
        AdviceRepository(session, "acme").insert(alone)
        assert len(_stored(tmp_path / "advisor.db")) == 1  # another connection sees it before any commit
    with database.session() as session:
        session.execute(insert(AdviceRow.__table__), _values("first", None))
        AdviceRepository(session, "acme").insert(later)
        session.rollback()
    assert len(_stored(tmp_path / "advisor.db")) == 1  # inside a transaction it is rolled back with it


def test_insert_committed_stores_what_sqlalchemy_stores_and_commits_it(database: Database, tmp_path: Path) -> None:
    with database.session() as session:
        session.execute(insert(AdviceRow.__table__), _values("core", None))
        session.commit()
    values = _values("pooled", None)
    del values["tenant_id"]
    assert AdviceRepository.insert_committed(database.engine, "acme", values)
    core, pooled = _stored(tmp_path / "advisor.db")  # read by another connection: committed
    assert pooled == core
    with pytest.raises(IntegrityError):  # the driver's error, as SQLAlchemy raises it (503 for OperationalError)
        AdviceRepository.insert_committed(database.engine, "acme", values)
    with database.engine.connect() as connection:  # the pool's connections come back with nothing open
        assert not connection.connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
    with pytest.raises(ValueError):
        AdviceRepository.insert_committed(database.engine, " ", values)
