"""Engine, sessions and migrations: SQLite in the data dir by default, PostgreSQL by URL."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from filelock import FileLock
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from service.store.immediate import ImmediateWriter

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_POOL_SIZE = 20
WAL_SIZE_LIMIT = 16 * 1024 * 1024


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets readers run beside the single writer; busy_timeout waits instead of failing.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode NORMAL loses no committed data on a process crash, only on power loss; FULL costs ~2.5 ms a commit.
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Once started over, the WAL file is cut back to this size (else it keeps the largest size it ever reached).
    cursor.execute(f"PRAGMA journal_size_limit={WAL_SIZE_LIMIT}")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def open_sqlite(engine: Engine) -> Any:
    """A new connection to ``engine``'s SQLite database outside its pool, set up as every pooled one is."""
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    connection = engine.dialect.loaded_dbapi.connect(*cargs, **{**cparams, "check_same_thread": False})
    _sqlite_pragmas(connection, None)
    return connection


class Encoded:
    """A JSON value already encoded, as UTF-8 bytes: a JSON column stores its text as it is (``dumps``), and a response
    can use the same bytes, so a large value (a verdict) is encoded once for both (pydantic writes a model's JSON
    directly, without building its dict first). ``value()`` decodes it for the rare reader that wants the data."""

    __slots__ = ("json",)

    def __init__(self, json: bytes) -> None:
        self.json = json

    def value(self) -> Any:
        return orjson.loads(self.json)

    def __repr__(self) -> str:
        return f"Encoded({self.json[:60]!r}{'...' if len(self.json) > 60 else ''})"


def dump_bytes(value: Any) -> bytes:
    """``value`` as UTF-8 JSON bytes: orjson, or json for what orjson refuses (integers beyond 64 bits)."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:
        return json.dumps(value, ensure_ascii=False).encode()


def dumps(value: Any) -> str:
    """JSON columns through orjson (a stored verdict is encoded in a tenth of json's time); json for what orjson
    refuses (integers beyond 64 bits); an ``Encoded`` value's text as it is."""
    if type(value) is Encoded:
        return value.json.decode()
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return json.dumps(value, ensure_ascii=False)


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with settings that suit each backend."""
    codec: dict[str, Any] = {"json_serializer": dumps, "json_deserializer": orjson.loads}
    if url.startswith("sqlite"):
        # SQLAlchemy's default keeps 5 connections and opens up to 10 more for a burst, closing each when it is handed
        # back: with 8 clients that was ~16 new connections a second, each with its pragmas (bench/answers.py). A
        # SQLite connection is a file handle and a page cache: keep as many as the thread pool uses at once.
        engine = create_engine(
            url, connect_args={"check_same_thread": False}, pool_size=SQLITE_POOL_SIZE, max_overflow=10, **codec
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, **codec)


def alembic_config(url: str) -> Config:
    from alembic.config import Config  # with mako and pygments, ~0.2 s: only when a migration runs

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


MIGRATION_LOCK_ID = 7_331_001


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*[\"']?(\w+|None)[\"']?", re.MULTILINE)


@cache
def head_revision() -> str:
    """The newest migration, read from the files' ``revision``/``down_revision`` lines (no Alembic import)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        found = dict((name, value) for name, value in _REVISION.findall(path.read_text(encoding="utf-8")))
        revisions.add(found["revision"])
        parents.add(found.get("down_revision", "None"))
    (head,) = revisions - parents  # one head: a second means two migrations claim the same parent
    return head


def at_head(engine: Engine) -> bool:
    """Whether the database already has every migration: then starting up needs no Alembic at all."""
    try:
        with engine.connect() as connection:
            versions = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:  # no table yet: a new database
        return False
    return versions == [head_revision()]


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration; concurrent starters wait for each other."""
    if at_head(engine):
        return
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    if engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with FileLock(f"{engine.url.database}.migrate.lock"), engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": MIGRATION_LOCK_ID})
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


class Database:
    """The engine and a session factory; one per process."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # Inserts the event loop may commit without waiting (ADR 0023).
        self.immediate = ImmediateWriter(self.engine, connect=lambda: open_sqlite(self.engine))

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as session:
            yield session

    def ping(self) -> None:
        """Raise if the database cannot answer a trivial query."""
        with self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.immediate.close()
        self.engine.dispose()
