"""Taking a provider key out of a text the provider (or a proxy in between) wrote, in whatever form it came back.

Providers and proxies echo the key in forms an exact match misses: lowercased or uppercased, cut across lines
or quoted pieces (``"sk-ab" + "cd..."``), with dashes or spaces inside, or partly masked
(``sk-proj-****************3f9a``). So the text and the key are compared on their letters and digits alone,
case folded: every run of the text that spells ``FRAGMENT`` or more consecutive characters of the key is
redacted with whatever separates them, and so is every masked token whose visible characters all come from
the key. A few characters of a random key left alone reveal nothing useful; six or more are treated as a leak.
"""

from __future__ import annotations

import re

REDACTED = "[redacted]"
FRAGMENT = 6
# A run of mask characters, as in `sk-****1234`, `sk-abc…xyz`, `sk-abc...xyz`, `••••1234`; and the key-like
# characters that may stand on either side of it.
_MASK = re.compile(r"[*•·#]{2,}|…|\.{3,}")
_KEYISH_BEFORE = re.compile(r"[A-Za-z0-9_-]+$")
_KEYISH_AFTER = re.compile(r"[A-Za-z0-9_-]+")
_KEY_CHAR = re.compile(r"[a-z0-9]")


def _folded(text: str) -> tuple[str, list[int]]:
    """The letters and digits of ``text``, lowercased, and where each came from."""
    chars: list[str] = []
    where: list[int] = []
    for index, char in enumerate(text):
        low = char.lower()
        if len(low) == 1 and _KEY_CHAR.fullmatch(low):
            chars.append(low)
            where.append(index)
    return "".join(chars), where


def _fragment_spans(text: str, key: str) -> list[tuple[int, int]]:
    folded, where = _folded(text)
    size = min(FRAGMENT, len(key))
    grams = {key[i : i + size] for i in range(len(key) - size + 1)}
    spans: list[tuple[int, int]] = []
    for i in range(len(folded) - size + 1):
        if folded[i : i + size] in grams:
            start, end = where[i], where[i + size - 1] + 1
            if spans and start <= spans[-1][1]:
                spans[-1] = (spans[-1][0], max(end, spans[-1][1]))
            else:
                spans.append((start, end))
    return spans


def _masked_spans(text: str, key: str) -> list[tuple[int, int]]:
    """Each mask run with the key's characters shown beside it (``sk-proj-****3f9a``), when they come from the key."""
    spans = []
    for mask in _MASK.finditer(text):
        left = _KEYISH_BEFORE.search(text, 0, mask.start())
        right = _KEYISH_AFTER.match(text, mask.end())
        before = left.group() if left else ""
        after = right.group() if right else ""
        # The longest run touching the mask on each side whose letters and digits occur in the key.
        shown_before = next((before[i:] for i in range(len(before)) if _folded(before[i:])[0] in key), "")
        shown_after = next((after[:j] for j in range(len(after), 0, -1) if _folded(after[:j])[0] in key), "")
        if len(_folded(shown_before + shown_after)[0]) >= 3:
            spans.append((mask.start() - len(shown_before), mask.end() + len(shown_after)))
    return spans


def redact(text: str, secret: str | None) -> str:
    """``text`` with every recognisable form of ``secret`` replaced by ``[redacted]``."""
    if not secret or not text:
        return text
    key, _ = _folded(secret)
    if len(key) < FRAGMENT:  # not a real key; nothing safe to match on but the exact string
        return text.replace(secret, REDACTED)
    merged: list[list[int]] = []
    for start, end in sorted(_fragment_spans(text, key) + _masked_spans(text, key)):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[str] = []
    at = 0
    for start, end in merged:
        parts += [text[at:start], REDACTED]
        at = end
    parts.append(text[at:])
    return "".join(parts)
