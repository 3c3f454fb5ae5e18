"""Client text at the edge: the one policy for NUL characters, and file names that are safe on disk.

NUL (U+0000) in anything a client sends as a field, a parameter or a file name is refused with 422
``nul_character`` naming where it is: PostgreSQL cannot store it in text, SQLite and file systems end a
string at it, and no real text needs it. Refusing (rather than stripping) keeps the stored value the value
the client sent, and it behaves the same on every database. Document contents are the exception: their
parsers drop NULs, as they are noise in extracted text (service/knowledge_bases/parsers.py).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator
from typing import Any

from service.errors import ValidationFailed

# ext4, XFS, APFS and NTFS allow 255 bytes (or UTF-16 units) per name; leave room for our prefixes and suffixes.
NAME_MAX_BYTES = 200
# What the stores keep of the name the client sent (the narrowest column holding one: datasets.filename).
ORIGINAL_NAME_MAX_CHARS = 255
_SUFFIX_MAX_BYTES = 16


class NulCharacter(ValidationFailed):
    code = "nul_character"
    title = "The request contains a NUL character"

    def __init__(self, field: str) -> None:
        super().__init__(
            f"{field}: contains a NUL character (U+0000), which cannot be stored; remove it and send the request again.",
            field=field,
        )


def find_nul(value: Any, max_depth: int) -> str | None:
    """The dotted path of a key or string holding NUL (``None`` when none), walked without recursion.

    Raises ``ValueError`` when ``value`` nests deeper than ``max_depth`` levels.
    """
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        item, path = stack.pop()
        if len(path) > max_depth:
            raise ValueError(f"nested deeper than {max_depth} levels")
        if isinstance(item, str):
            if "\x00" in item:
                return ".".join(path) or "body"
        elif isinstance(item, dict):
            for key, child in item.items():
                if "\x00" in key:
                    return ".".join((*path, key.replace("\x00", "\\u0000")))
                stack.append((child, (*path, key)))
        elif isinstance(item, list):
            stack.extend((child, (*path, str(index))) for index, child in enumerate(item))
    return None


def reject_nul(value: str | None, field: str) -> None:
    """422 ``nul_character`` when ``value`` holds a NUL."""
    if value is not None and "\x00" in value:
        raise NulCharacter(field)


def _visible(name: str) -> Iterator[str]:
    for char in name:
        category = unicodedata.category(char)
        # Control and format characters (C*): newlines, NUL, bidi overrides that make a name read backwards.
        yield "_" if category.startswith("C") else char


def original_name(filename: str | None, field: str) -> str:
    """The name the client sent, without folders: what lists show. NUL is refused; very long names are cut."""
    reject_nul(filename, field)
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if len(name) <= ORIGINAL_NAME_MAX_CHARS:
        return name
    stem, ending = _split_suffix(name)
    return stem[: ORIGINAL_NAME_MAX_CHARS - 1 - len(ending)] + "…" + ending


def _split_suffix(name: str) -> tuple[str, str]:
    """(stem, ".ext"), or (name, "") when there is no short extension to keep."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or not stem or len(suffix.encode("utf-8")) > _SUFFIX_MAX_BYTES:
        return name, ""
    return stem, f".{suffix}"


def _cut_utf8(text: str, max_bytes: int) -> str:
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    # Dropping the partial last character, not raising: a cut never splits a code point.
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def disk_name(original: str, default: str) -> str:
    """A file name for the disk: one path component, no control characters, at most ``NAME_MAX_BYTES`` of UTF-8.

    The extension is kept (the parsers and the validator choose the format by it); the stem is cut.
    """
    name = "".join(_visible(original)).replace("/", "_").strip().rstrip(".")
    if not name or name.startswith("."):
        return default
    stem, ending = _split_suffix(name)
    stem = _cut_utf8(stem, NAME_MAX_BYTES - len(ending.encode("utf-8"))).rstrip()
    return f"{stem}{ending}" if stem else default
