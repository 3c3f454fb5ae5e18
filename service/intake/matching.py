"""The machinery under the rule extractor: word boundaries for two scripts, negation, and picking one hit per field.

Rules are data (see ``lexicon.py``); this module only knows how to run them. Each hit keeps its
offsets in the original text, so the evidence a user sees is always the exact words it came from.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

_HEB = "\u05d0-\u05ea"
HEBREW_LETTER = re.compile(f"[{_HEB}]")
LATIN_LETTER = re.compile("[A-Za-z]")
# One-letter Hebrew prefixes ("and", "the", "in", "to", "from", "that", "as") stick to the next word.
_PREFIXES = "[ובהלמשכ]{0,3}"


def lat(pattern: str) -> str:
    """A Latin-script term that may follow a Hebrew prefix letter ("בJSON") but not sit inside a Latin word."""
    return rf"(?<![A-Za-z0-9_])(?:{pattern})(?![A-Za-z0-9_])"


def he(pattern: str) -> str:
    """A Hebrew term with optional attached prefixes; write inflections into ``pattern`` itself."""
    return rf"(?<![\w{_HEB}]){_PREFIXES}(?:{pattern})(?![{_HEB}])"


Value = Any | Callable[[re.Match[str]], Any]


@dataclass(frozen=True)
class Rule:
    """One way a fact is written. ``value`` is a constant or a function of the match (None drops the hit)."""

    field: str
    value: Value
    patterns: tuple[re.Pattern[str], ...]  # alternatives compiled apart, so each may name its own groups
    negatable: bool = True
    context: re.Pattern[str] | None = None  # the sentence around the hit must also match this


def rule(field: str, value: Value, *alternatives: str, negatable: bool = True, context: str | None = None) -> Rule:
    """Build a Rule from regex alternatives (already wrapped with ``lat``/``he``), case-insensitive."""
    patterns = tuple(re.compile(alt, re.IGNORECASE) for alt in alternatives)
    return Rule(field, value, patterns, negatable, re.compile(context, re.IGNORECASE) if context else None)


@dataclass(frozen=True)
class Hit:
    field: str
    value: Any
    start: int
    end: int


_SENTENCE_END = re.compile(r"[.!?\n;]+(?=\s|$)|\n")
_CLAUSE_BREAK = re.compile(
    r"[.!?;:,()\n]|(?<![A-Za-z])(?:but|however|although|though|whereas|yet|and)(?![A-Za-z])"
    rf"|(?<![{_HEB}])(?:אבל|אך|אולם|למרות|אלא)(?![{_HEB}])",
    re.IGNORECASE,
)
_PRE_NEGATION = re.compile(
    r"(?<![A-Za-z'])(?:no|not|without|never|don't|doesn't|do\s+not|does\s+not|isn't|aren't|nor|none|neither|zero)"
    rf"(?![A-Za-z'])|(?<![{_HEB}])[וש]?(?:לא|אין|בלי|ללא|אינו|אינה|אינם|אינן)(?![{_HEB}])",
    re.IGNORECASE,
)
# "must not break the JSON" keeps the JSON: a modal before "not" states a constraint, not an absence.
_MODAL = re.compile(r"(?:must|should|can|may|will|shall|could|would)\s*$", re.IGNORECASE)
_POST_NEGATION = re.compile(
    r"^\W*(?:[\w'-]+\s+){0,3}?(?:(?:doesn't|does\s+not|don't|do\s+not)\s+(?:matter|apply|need\s+to\s+be)|"
    r"(?:is|are)(?:n't|\s+not)\s+(?:needed|required|important|necessary|a\s+concern|an\s+issue|relevant|a\s+requirement|a\s+priority)|"
    r"not\s+(?:needed|required|important|necessary|relevant)|unnecessary|irrelevant|"
    rf"(?:[{_HEB}]+\s+)?לא\s+(?:כל\s+כך\s+|ממש\s+|באמת\s+)?(?:משנה|משנים|חשוב|חשובה|חשובים|נדרש|נדרשת|נדרשים|רלוונטי|רלוונטית|הכרחי|הכרחית|חובה))",
    re.IGNORECASE,
)
_PRE_WINDOW_WORDS = 5
_LOOKBACK = 300  # characters searched either side for a sentence or clause edge; a description's sentences are shorter


def _bounds(edge: re.Pattern[str], text: str, start: int, end: int) -> tuple[int, int]:
    """The span around [start, end) between the nearest ``edge`` matches before and after it."""
    left = max(0, start - _LOOKBACK)
    for found in edge.finditer(text, left, start):
        left = found.end()
    limit = min(len(text), end + _LOOKBACK)
    after = edge.search(text, end, limit)
    return left, after.start() if after else limit


def sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    """The sentence around [start, end): from the previous terminator to the next one."""
    return _bounds(_SENTENCE_END, text, start, end)


def negation(text: str, start: int, end: int) -> tuple[int, int] | None:
    """The span of the negated phrase ("no JSON needed", "tone doesn't matter") when the hit is negated."""
    left, right = _bounds(_CLAUSE_BREAK, text, start, end)
    window_start = _window_start(text, left, start)
    last = None
    for found in _PRE_NEGATION.finditer(text, window_start, start):
        last = found
    if last is not None and not _MODAL.search(text, window_start, last.start()):
        return last.start(), end
    after = _POST_NEGATION.search(text[end:right])
    if after:
        return start, end + after.end()
    return None


def _window_start(text: str, left: int, start: int) -> int:
    """Where the last few words before ``start`` begin, never before the clause."""
    words = list(re.finditer(r"\S+", text[left:start]))
    return left + words[-_PRE_WINDOW_WORDS].start() if len(words) >= _PRE_WINDOW_WORDS else left


def run_rules(text: str, rules: Iterable[Rule], claimed: list[tuple[int, int]] | None = None) -> list[Hit]:
    """Every hit of every rule, negation applied, skipping hits that overlap ``claimed`` spans."""
    hits: list[Hit] = []
    taken = claimed or []
    for current, pattern in ((r, p) for r in rules for p in r.patterns):
        for found in pattern.finditer(text):
            start, end = _trim(text, found.start(), found.end())
            if start >= end or any(start < b and a < end for a, b in taken):
                continue
            if current.context is not None:
                left, right = sentence_bounds(text, start, end)
                if not current.context.search(text, left, right):
                    continue
            value = current.value(found) if callable(current.value) else current.value
            if value is None:
                continue
            hit = _negated(text, current, value, start, end)
            if hit is not None:
                hits.append(Hit(current.field, hit[0], hit[1], hit[2]))
    return hits


def _negated(text: str, current: Rule, value: Any, start: int, end: int) -> tuple[Any, int, int] | None:
    if not current.negatable:
        return value, start, end
    span = negation(text, start, end)
    if span is None:
        return value, start, end
    if isinstance(value, bool):
        return (not value), span[0], span[1]
    return None  # "we don't use OpenAI" says nothing about which provider they do use


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in ".,;:-־"):
        end -= 1
    return start, end


def first_per_field(hits: Iterable[Hit]) -> dict[str, Hit]:
    """The earliest hit of each field; at one position the longer (more specific) phrase wins."""
    chosen: dict[str, Hit] = {}
    for hit in sorted(hits, key=lambda h: (h.start, -(h.end - h.start))):
        chosen.setdefault(hit.field, hit)
    return chosen
