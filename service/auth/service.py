"""API keys: issued once, stored as a hash, verified in microseconds from a short-lived cache.

A key reads ``adv_<prefix>_<secret>``. The prefix is public (it names the key in lists, logs and
``advisor keys revoke``) and finds the row; only the secret proves possession. The secret is 256 random
bits, so a fast hash (SHA-256) is enough: a slow password hash defends guessable inputs, and nobody can
guess 2**256 values (docs/decisions/0004-api-keys.md).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import hmac
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from service.auth.repository import ApiKeyRepository, ApiKeySystemQueries
from service.errors import NotFound, ValidationFailed
from service.store.db import Database
from service.store.models import ApiKeyRow

SCHEME = "adv"
HASH_SCHEME = "sha256"
TENANT_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_KEY_PATTERN = re.compile(r"^adv_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")
CACHE_SECONDS = 30.0
_CACHE_LIMIT = 10_000


@dataclass(frozen=True)
class IssuedKey:
    """A new key: ``key`` exists only in this object and in what the caller prints."""

    key: str
    prefix: str
    tenant: str
    name: str


class KeyInfo(BaseModel):
    """What may be shown about a stored key: never the secret or its hash."""

    model_config = ConfigDict(from_attributes=True, frozen=True)  # built from an ApiKeyRow

    prefix: str
    tenant: str = Field(validation_alias="tenant_id")
    name: str
    created_at: dt.datetime
    revoked_at: dt.datetime | None


def parse(token: str) -> tuple[str, str] | None:
    """``(prefix, secret)`` of a well-formed key, else None."""
    match = _KEY_PATTERN.match(token)
    return (match.group(1), match.group(2)) if match else None


def digest(prefix: str, secret: str) -> str:
    """The stored form of a key. The prefix is hashed in, so a row's hash fits only its own prefix."""
    return f"{HASH_SCHEME}${hashlib.sha256(f'{prefix}:{secret}'.encode()).hexdigest()}"


def issue(session: Session, tenant: str, name: str = "") -> IssuedKey:
    """Store a new key of ``tenant`` (its hash only) and return the key, the one time it is known."""
    if not TENANT_PATTERN.match(tenant):
        raise ValidationFailed(
            "A tenant is 1-64 letters, digits, dots, dashes or underscores, starting with a letter or digit.", field="tenant"
        )
    if len(name) > 128:
        raise ValidationFailed("A key's name is at most 128 characters.", field="name")
    prefix, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    ApiKeyRepository(session, tenant).add(
        ApiKeyRow(id=str(uuid.uuid4()), name=name, prefix=prefix, key_hash=digest(prefix, secret))
    )
    session.commit()
    return IssuedKey(key=f"{SCHEME}_{prefix}_{secret}", prefix=prefix, tenant=tenant, name=name)


def list_keys(session: Session, tenant: str | None = None) -> list[KeyInfo]:
    """Keys, oldest first, optionally of one tenant."""
    rows = (
        ApiKeySystemQueries(session).all_tenants_oldest_first()
        if tenant is None
        else ApiKeyRepository(session, tenant).oldest_first()
    )
    return [KeyInfo.model_validate(row) for row in rows]


def revoke(session: Session, prefix: str, now: dt.datetime | None = None) -> KeyInfo:
    """Mark a key revoked (kept for the record). Accepts the prefix or the whole key."""
    parsed = parse(prefix)
    lookup = parsed[0] if parsed else prefix.removeprefix(f"{SCHEME}_").rstrip("_")
    row = ApiKeySystemQueries(session).all_tenants_by_prefix(lookup)
    if row is None:
        raise NotFound(f"No key with prefix {lookup!r}; `advisor keys list` shows them.", code="api_key_not_found")
    if row.revoked_at is None:
        row.revoked_at = now or dt.datetime.now(dt.UTC)
        session.commit()
    return KeyInfo.model_validate(row)


@dataclass(frozen=True)
class _Entry:
    tenant: str | None  # None: no such key, or revoked
    key_hash: str
    expires: float


class KeyVerifier:
    """Key -> tenant. One database read per prefix per ``ttl`` seconds; every other check is a hash and a compare.

    The cost is that a revoked key keeps working in a running process for up to ``ttl`` seconds.
    """

    def __init__(self, database: Database, ttl: float = CACHE_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.database = database
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, _Entry] = {}

    async def tenant_of(self, token: str) -> str | None:
        """The tenant of a valid, unrevoked key; None for anything else."""
        parsed = parse(token)
        if parsed is None:
            return None
        prefix, secret = parsed
        now = self.clock()
        entry = self._cache.get(prefix)
        if entry is None or entry.expires <= now:
            # The lookup is a blocking query: off the event loop, like FastAPI's sync dependencies.
            entry = await asyncio.to_thread(self._load, prefix, now)
        if entry.tenant is None or not hmac.compare_digest(entry.key_hash, digest(prefix, secret)):
            return None
        return entry.tenant

    def _load(self, prefix: str, now: float) -> _Entry:
        with self.database.session() as session:
            row = ApiKeySystemQueries(session).all_tenants_by_prefix(prefix)
        if row is None or row.revoked_at is not None:
            entry = _Entry(tenant=None, key_hash="", expires=now + self.ttl)
        else:
            entry = _Entry(tenant=row.tenant_id, key_hash=row.key_hash, expires=now + self.ttl)
        if len(self._cache) >= _CACHE_LIMIT:
            # Made-up prefixes must not grow memory without bound; dropping everything costs one read per key.
            self._cache.clear()
        self._cache[prefix] = entry
        return entry

    def forget(self, prefix: str) -> None:
        """Drop a cached key, so a revocation made in this process applies at once."""
        self._cache.pop(prefix, None)
