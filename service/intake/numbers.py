"""Counts as people write them: "2,000", "2k", "about 2.5 thousand", "two thousand", "כ-2,000", "אלפיים".

``NUMBER`` is a regex fragment (no groups of its own) that rules embed inside a named group;
``parse_number`` turns the matched words into an int. Plurals without a count ("thousands of",
"מאות") read as the smallest plural, two; "a few" and "several" as three. The questionnaire lets
a team correct these, and a low guess never pushes the advice towards fine-tuning.
"""

from __future__ import annotations

import re

_EN_APPROX = (
    r"(?:about|around|roughly|approximately|approx\.?|nearly|almost|over|more\s+than|less\s+than|under|some|"
    r"close\s+to|up\s+to|~|≈)\s*"
)
_HE_APPROX = r"(?:בערך\s+|בסביבות\s+|כמעט\s+|מעל\s+|יותר\s+מ[-־]?|פחות\s+מ[-־]?|קרוב\s+ל[-־]?|עד\s+|כ[-־]?)"
_DIGITS = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d{1,12}(?:\.\d+)?"
_SCALES = {
    "k": 1_000,
    "thousand": 1_000,
    "אלף": 1_000,
    "אלפים": 1_000,
    "m": 1_000_000,
    "mln": 1_000_000,
    "mil": 1_000_000,
    "million": 1_000_000,
    "מיליון": 1_000_000,
    "hundred": 100,
}
_SCALE = r"\s?(?:k|K|thousand|hundred|mln|mil|million|m|M|אלפים|אלף|מיליון)(?![A-Za-z\u05d0-\u05ea])"
_EN_COUNTS = {
    "a": 1,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "a couple of": 2,
    "a couple": 2,
    "a few": 3,
    "several": 3,
}
_EN_WORDS = (
    r"(?:(?:a\s+couple\s+of|a\s+couple|a\s+few|several|a|one|two|three|four|five|six|seven|eight|nine|ten|twelve|fifteen|"
    r"twenty|thirty|forty|fifty)\s+)?(?:hundred|thousand|million)s?(?![A-Za-z])"
)
_HE_WORDS: dict[str, int] = {
    "חצי מיליון": 500_000,
    "מיליון": 1_000_000,
    "עשרת אלפים": 10_000,
    "תשעת אלפים": 9_000,
    "שמונת אלפים": 8_000,
    "שבעת אלפים": 7_000,
    "ששת אלפים": 6_000,
    "חמשת אלפים": 5_000,
    "ארבעת אלפים": 4_000,
    "שלושת אלפים": 3_000,
    "אלפיים": 2_000,
    "אלפי": 2_000,
    "אלפים": 2_000,
    "אלף": 1_000,
    "תשע מאות": 900,
    "שמונה מאות": 800,
    "שבע מאות": 700,
    "שש מאות": 600,
    "חמש מאות": 500,
    "ארבע מאות": 400,
    "שלוש מאות": 300,
    "מאתיים": 200,
    "מאות": 200,
    "מאה": 100,
}
# Longest first, so "שלושת אלפים" wins over "אלפים" and "אלפיים" over "אלפי".
_HE_WORD_ALT = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_HE_WORDS, key=len, reverse=True))
_HE_NUMBER = rf"(?:{_HE_WORD_ALT})(?![\u05d0-\u05ea])"

# A count starts a word, or follows a one-letter Hebrew prefix ("בכ-3,000", "ב-500"), never a Latin letter or digit.
_START = r"(?:(?<![\w.,\-])|(?<=(?<![\w])[ובהלמשכ])|(?<=(?<![\w])[ובהלמשכ]-))"
NUMBER = (
    rf"{_START}(?:{_EN_APPROX}|{_HE_APPROX})?"
    rf"(?:(?:{_DIGITS})(?:{_SCALE})?(?![\d,])|{_EN_WORDS}|{_HE_NUMBER})"
)
"""A count, with an optional "about"/"כ-" before it; embed as ``(?P<num>...)``."""

_NUMBER_RE = re.compile(NUMBER, re.IGNORECASE)
_APPROX_RE = re.compile(rf"^(?:{_EN_APPROX}|{_HE_APPROX})", re.IGNORECASE)
_DIGITS_RE = re.compile(rf"({_DIGITS})\s?([^\W\d_]*)", re.IGNORECASE)
_EN_WORDS_RE = re.compile(r"^(?:(.+?)\s+)?(hundred|thousand|million)(s?)$", re.IGNORECASE)


def parse_number(words: str) -> int | None:
    """The integer a matched NUMBER stands for, or None when it is not one."""
    text = " ".join(words.split())
    core = _APPROX_RE.sub("", text, count=1).strip() or text
    he_value = _HE_WORDS.get(core)
    if he_value is not None:
        return he_value
    digits = _DIGITS_RE.fullmatch(core)
    if digits:
        scale = _SCALES.get(digits.group(2).lower(), 1) if digits.group(2) else 1
        return round(float(digits.group(1).replace(",", "")) * scale)
    wordy = _EN_WORDS_RE.match(core.lower())
    if wordy:
        count_word, scale_word, plural = wordy.groups()
        count = _EN_COUNTS.get(count_word or "", 2 if plural else 1)
        return count * _SCALES[scale_word]
    return None


def first_number(text: str) -> int | None:
    """The first count written in ``text``."""
    found = _NUMBER_RE.search(text)
    return parse_number(found.group(0)) if found else None
