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

from sqlalchemy import Connection, Dialect, Engine, Table, bindparam, insert
from sqlalchemy.exc import DBAPIError

Prepared = tuple[str, tuple[tuple[str, Callable[[Any], Any] | None], ...]]
_PREPARED: dict[tuple[Table, tuple[str, ...]], Prepared] = {}


def _prepare(dialect: Dialect, table: Table, names: tuple[str, ...]) -> Prepared:
    compiled = insert(table).values({name: bindparam(name) for name in names}).compile(dialect=dialect)
    order = compiled.positiontup or ()
    processors = tuple((name, table.c[name].type.dialect_impl(dialect).bind_processor(dialect)) for name in order)
    return compiled.string, processors


def serves(engine: Engine) -> bool:
    """Whether the driver path may take this engine: SQLite's driver, and no cursor events to honour."""
    dispatch = engine.dispatch
    return engine.dialect.driver == "pysqlite" and not dispatch.before_cursor_execute and not dispatch.after_cursor_execute


def statement(dialect: Dialect, table: Table, row: dict[str, Any]) -> tuple[str, list[Any]]:
    key = (table, tuple(row))
    prepared = _PREPARED.get(key)
    if prepared is None:
        prepared = _PREPARED[key] = _prepare(dialect, table, key[1])
    sql, processors = prepared
    return sql, [row[name] if process is None else process(row[name]) for name, process in processors]


def execute(dbapi: Any, dialect: Dialect, sql: str, params: list[Any]) -> None:
    # Nothing written yet in this transaction: the insert commits on its own, inside the driver's one call. In a
    # transaction the row waited for the caller's commit holding SQLite's write lock, and the thread often waited
    # for the GIL in between (milliseconds, behind other requests' Python), while other writers slept in SQLite's
    # busy handler (1, 2, 5, 10 ... 100 ms): the advice p99 at 8 connections (ADR 0018). The caller's commit
    # then has nothing left to do.
    alone = not dbapi.in_transaction
    if alone:
        level, dbapi.isolation_level = dbapi.isolation_level, None
    cursor = dbapi.cursor()
    try:
        cursor.execute(sql, params)
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()
        if alone:
            dbapi.isolation_level = level


def execute_together(dbapi: Any, dialect: Dialect, statements: list[tuple[str, list[Any]]]) -> None:
    """``statements`` in one transaction of their own on ``dbapi`` (which has none open), committed together, or none
    of them: one lock, one WAL append and one commit for all (ADR 0038). ``BEGIN IMMEDIATE`` takes the write lock
    first, so a busy database refuses before anything is written."""
    level, dbapi.isolation_level = dbapi.isolation_level, None
    cursor = dbapi.cursor()
    sql: str | None = "BEGIN IMMEDIATE"
    params: list[Any] | None = None
    try:
        cursor.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in statements:
                cursor.execute(sql, params)
            sql, params = "COMMIT", None
            cursor.execute("COMMIT")
        except BaseException:
            if dbapi.in_transaction:
                dbapi.rollback()
            raise
    except dialect.loaded_dbapi.Error as exc:
        raise DBAPIError.instance(sql, params, exc, dialect.loaded_dbapi.Error) from exc
    finally:
        cursor.close()
        dbapi.isolation_level = level


def insert_row(connection: Connection, table: Table, row: dict[str, Any]) -> bool:
    """Insert ``row`` into ``table`` through the SQLite driver: committed at once when nothing else was written in
    ``connection``'s transaction, else within it. False when this connection is not one it serves (another backend,
    or cursor events to honour), and nothing was done."""
    if not serves(connection.engine):
        return False
    sql, params = statement(connection.dialect, table, row)
    execute(connection.connection.dbapi_connection, connection.dialect, sql, params)
    return True


def insert_committed(engine: Engine, table: Table, row: dict[str, Any]) -> bool:
    """Insert ``row`` into ``table`` and commit it, on a connection of its own from ``engine``'s pool: no Session, no
    Connection, no transaction object (~40 % of what storing an advice cost, ADR 0019). The connection goes back to
    the pool as every connection does (reset, with nothing left open). False when the engine is not one this path
    serves, and nothing was done."""
    if not serves(engine):
        return False
    dialect = engine.dialect
    sql, params = statement(dialect, table, row)
    try:
        pooled = engine.raw_connection()
    except dialect.loaded_dbapi.Error as exc:  # the database cannot be opened: SQLAlchemy's error, as a session raises
        raise DBAPIError.instance(None, None, exc, dialect.loaded_dbapi.Error) from exc
    try:
        execute(pooled.dbapi_connection, dialect, sql, params)
    finally:
        pooled.close()
    return True
