"""The shared services the scale-out and fault tests run against, and a clean slice of each per test.

PostgreSQL gets a fresh schema (subprocesses find it through `options=-csearch_path` in the URL), Redis an
unused database number. Nothing else on the shared servers is touched: no FLUSHALL, no other schema.
"""

from __future__ import annotations

import contextlib
import socket
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import fresh_postgres_schema

REDIS_ROOT = "redis://127.0.0.1:6379"
CHROMA = Path(sys.executable).parent / "chroma"
TEST_REDIS_DBS = range(8, 16)  # run-scaled uses /5; tests take a free one of these


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def require_services(*, postgres: bool = True, redis_server: bool = True, chroma: bool = True) -> None:
    """Skip, naming what is missing, when a shared service these tests need is not on this machine."""
    missing = []
    if postgres and not _port_open(5432):
        missing.append("PostgreSQL at 127.0.0.1:5432 (database `test`, trust auth)")
    if redis_server and not _port_open(6379):
        missing.append("Redis at 127.0.0.1:6379")
    if chroma and not CHROMA.exists():
        missing.append(f"`chroma` at {CHROMA} (pip install chromadb)")
    if missing:
        pytest.skip("needs " + "; ".join(missing))


def fresh_schema() -> contextlib.AbstractContextManager[str]:
    """A new schema in the `test` database, dropped afterwards; the URL selects it for every process."""
    return fresh_postgres_schema("scale")


CLAIM_KEY = "tests:claimed-by"  # the first key in a database a test session takes; SET NX decides between two sessions


@contextlib.contextmanager
def fresh_redis() -> Iterator[str]:
    """An empty Redis database number, emptied again afterwards (that one database only, never FLUSHALL).

    Emptiness is read, then the database is claimed with SET NX of ``CLAIM_KEY``: two sessions (or tests) that
    both saw it empty cannot both take it, and neither empties a database the other is using.
    """
    owner = uuid.uuid4().hex
    for db in TEST_REDIS_DBS:
        client = redis.Redis.from_url(f"{REDIS_ROOT}/{db}")
        if client.dbsize() == 0 and client.set(CLAIM_KEY, owner, nx=True):
            if client.dbsize() == 1:
                break
            client.delete(CLAIM_KEY)  # someone wrote beside the claim: the database is theirs
        client.close()
    else:
        pytest.skip(f"no empty Redis database among {TEST_REDIS_DBS.start}..{TEST_REDIS_DBS.stop - 1}")
    try:
        yield f"{REDIS_ROOT}/{db}"
    finally:
        if client.get(CLAIM_KEY) == owner.encode():
            client.flushdb()  # the database was empty when taken: everything in it is this test's
        client.close()
