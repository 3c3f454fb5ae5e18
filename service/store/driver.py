"""The hottest insert (a stored advice) straight through SQLite's driver, with SQLAlchemy's own value processing.

``Connection.execute`` costs ~100 us of CPU per insert on top of SQLite's own work (cache-key lookup, execution
context, result object), half of what storing an advice costs (ADR 0018). Here the statement is compiled once per
table and column set, each value goes through its column type's bind processor (so the stored text is byte for byte
what SQLAlchemy writes: JSON through the engine's serializer, timestamps in SQLite's format), and the driver executes
it: at once, committing, when the transaction has written nothing else (the advice route), else in the session's
transaction. Driver errors are raised as SQLAlchemy's (``OperationalError`` still answers 503).
Other backends, and engines with cursor events (tests that watch statements), take SQLAlchemy's path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert
from sqlalchemy.exc import DBAPIError

Prepared = tuple[str, tuple[tuple[str, Callable[[Any], Any] | None], ...]]
_PREPARED: dict[tuple[Table, tuple[str, ...]], Prepared] = {}


def _prepare(connection: Connection, table: Table, names: tuple[str, ...]) -> Prepared:
    dialect = connection.dialect
    compiled = insert(table).values({name: bindparam(name) for name in names}).compile(dialect=dialect)
    order = compiled.positiontup or ()
    processors = tuple((name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in order)
    return compiled.string, processors


def insert_row(connection: Connection, table: Table, row: dict[str, Any]) -> bool:
    """Insert ``row`` into ``table`` through the SQLite driver: committed at once when nothing else was written in
    ``connection``'s transaction, else within it. False when this connection is not one it serves (another backend,
    or cursor events to honour), and nothing was done."""
    if (
        connection.dialect.driver != "pysqlite"
        or connection.engine.dispatch.before_cursor_execute
        or (connection.engine.dispatch.after_cursor_execute)
    ):
        return False
    key = (table, tuple(row))
    prepared = _PREPARED.get(key)
    if prepared is None:
        prepared = _PREPARED[key] = _prepare(connection, table, key[1])
    sql, processors = prepared
    params = [row[name] if process is None else process(row[name]) for name, process in processors]
    dbapi = connection.connection.dbapi_connection
    # Nothing written yet in this transaction: the insert commits on its own, inside the driver's one call. In a
    # transaction the row waited for the caller's commit holding SQLite's write lock, and the thread often waited
    # for the GIL in between (milliseconds, behind other requests' Python), while other writers slept in SQLite's
    # busy handler (1, 2, 5, 10 ... 100 ms): the advice p99 at 8 connections (ADR 0018). The caller's commit
    # then has nothing left to do.
    alone = not dbapi.in_transaction  # type: ignore[union-attr]
    if alone:
        level, dbapi.isolation_level = dbapi.isolation_level, None  # type: ignore[union-attr]
    cursor = dbapi.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(sql, params)
    except connection.dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, params, exc, connection.dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()
        if alone:
            dbapi.isolation_level = level  # type: ignore[union-attr]
    return True
