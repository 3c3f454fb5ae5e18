"""Random ids: version-4 UUIDs from the OS's random bytes, without building a ``uuid.UUID`` (every advice request
makes two: its request id and the advice's id; the object costs ~1 µs more each)."""

from __future__ import annotations

import os

_CLEAR = 0xF000 << 64 | 0xC000 << 48  # the version and variant fields
_SET = 0x4000 << 64 | 0x8000 << 48  # version 4, RFC 4122's variant


def uuid4_hex() -> str:
    """A random version-4 UUID as 32 hex digits (``uuid.uuid4().hex``)."""
    return f"{int.from_bytes(os.urandom(16), 'big') & ~_CLEAR | _SET:032x}"


def uuid4_text() -> str:
    """A random version-4 UUID in its usual form (``str(uuid.uuid4())``)."""
    digits = uuid4_hex()
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
