"""Opaque, tenant-scoped page cursors for every paginated list.

A cursor says where the previous page ended within the tenant's own list and nothing else: the last row's
``created_at`` and public id (both already shown to that tenant), and a tag bound to the list and the tenant,
all URL-safe base64. No global row number leaks (a tenant could count others' activity from one), and a
cursor from another tenant, or from another list, is refused as ``invalid_cursor`` instead of paging.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import re

from service.errors import ValidationFailed

CURSOR_PATTERN = r"^[A-Za-z0-9_-]{16,256}$"
CURSOR_DESCRIPTION = (
    "`next_cursor` of the previous page, as given: opaque, valid for your own list only "
    "(422 `invalid_cursor` for any other value)."
)
_SEPARATOR = "|"


def _tag(kind: str, tenant_id: str) -> str:
    return hashlib.sha256(f"{kind}\x00{tenant_id}".encode()).hexdigest()[:16]


def encode(kind: str, tenant_id: str, created_at: dt.datetime, row_id: str) -> str:
    """The cursor continuing after the row (``created_at``, ``row_id``) of ``tenant_id``'s list ``kind``."""
    raw = _SEPARATOR.join((created_at.astimezone(dt.UTC).isoformat(), row_id, _tag(kind, tenant_id)))
    return base64.urlsafe_b64encode(raw.encode()).decode("ascii").rstrip("=")


def invalid() -> ValidationFailed:
    return ValidationFailed(
        "The cursor is not one this service issued for this list; pass next_cursor from the previous page as given, "
        "or leave it out to start from the newest.",
        code="invalid_cursor",
        field="query.cursor",
    )


def decode(kind: str, tenant_id: str, cursor: str) -> tuple[dt.datetime, str]:
    """(created_at, id) of the row the previous page ended with; 422 ``invalid_cursor`` for anything else."""
    if not re.fullmatch(CURSOR_PATTERN, cursor):
        raise invalid()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, row_id, tag = raw.split(_SEPARATOR)
        created_at = dt.datetime.fromisoformat(stamp)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid() from None
    if tag != _tag(kind, tenant_id) or created_at.tzinfo is None or not row_id:
        raise invalid()
    return created_at, row_id
