"""How long inputs and answers are, as people say it: "about 300 tokens", "80 words", "a few sentences", "4 pages".

Every size is converted to tokens with fixed rates (a word is 4/3 of a token, a sentence 25 tokens, a
paragraph 130, a page 650) and given to ``input_tokens`` or ``output_tokens`` by the nearest noun before
it in its sentence ("the reviews average 80 words", "answers are a short paragraph"). A size that belongs
to the prompt ("the system prompt is 1,800 tokens") is ``prompt_tokens``'s, read by ``lexicon.py``.
"""

from __future__ import annotations

import re

from service.intake.matching import Hit, he, lat, sentence_bounds
from service.intake.numbers import NUMBER, parse_number

TOKENS_PER = {"token": 1.0, "word": 4 / 3, "sentence": 25.0, "paragraph": 130.0, "page": 650.0}
_UNITS = {
    "token": r"tokens?|טוקנים|טוקן|אסימונים",
    "word": r"words?|מילים|מילה",
    "sentence": r"sentences?|משפטים|משפט",
    "paragraph": r"paragraphs?|פסקאות|פסקה",
    "page": r"pages?|עמודים|עמוד|דפים|דף",
}
_EN_COUNT_WORDS = {
    "a couple of": 2,
    "a few": 3,
    "two or three": 3,
    "one": 1,
    "a": 1,
    "a single": 1,
    "a short": 1,
    "one short": 1,
    "a long": 1,
}
_HE_COUNT_WORDS = {"כמה": 3, "שניים-שלושה": 3, "שניים או שלושה": 3, "שני": 2, "שתי": 2, "שלושה": 3, "שלוש": 3}
_HE_SINGLE = {"משפט": 1, "פסקה": 1, "עמוד": 1, "דף": 1}  # "משפט קצר אחד", "פסקה קצרה": one
_RANGE = r"\d{1,4}\s*(?:-|–|to|or)\s*\d{1,4}"
_EN_WORDS = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_EN_COUNT_WORDS, key=len, reverse=True))
_HE_WORDS = "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in sorted(_HE_COUNT_WORDS, key=len, reverse=True))
_UNIT = "|".join(f"(?P<{name}>{pattern})" for name, pattern in _UNITS.items())
_SIZE = re.compile(
    rf"(?P<count>{_RANGE}|{NUMBER}|{lat(_EN_WORDS)}|{he(_HE_WORDS)})[\s-]+(?:short\s+|long\s+)?(?:{_UNIT})(?![A-Za-z\u05d0-\u05ea])"
    rf"|(?<![\u05d0-\u05ea])(?P<he_single>משפט|פסקה|עמוד|דף)(?:\s+(?:קצר|קצרה|ארוך|ארוכה))?(?:\s+(?:אחד|אחת))?(?![\u05d0-\u05ea])",
    re.IGNORECASE,
)
_PROMPT_CUE = r"prompt\w*|instructions?|system\s+message|few[-\s]shot|פרומפט\w*|הנחי\w*|הוראות"
_INPUT_CUE = (
    r"inputs?|user\s+messages?|messages?|emails?|tickets?|documents?|docs|reviews?|notes?|letters?|transcripts?"
    r"|questions?|quer(?:y|ies)|posts?|articles?|conversations?|chats?|descriptions?|invoices?|contracts?"
    r"|קלט|הודע\w*|מייל\w*|מסמכ\w*|מסמך|ביקור\w*|פני\w*|שאל\w*|כרטיס\w*|תמלול\w*|שיח\w*|חשבוני\w*|חוז\w*|מכתב\w*"
)
_OUTPUT_CUE = (
    r"answers?|repl(?:y|ies)|responses?|outputs?|summar(?:y|ies)|completions?|generated"
    r"|תשוב\w*|פלט|סיכו\w*|תגוב\w*|נוצר\w*|מענה"
)
_CUE = re.compile(
    rf"(?<![A-Za-z\u05d0-\u05ea])[ובהלמשכ]{{0,2}}(?:(?P<prompt>{_PROMPT_CUE})|(?P<input>{_INPUT_CUE})|(?P<output>{_OUTPUT_CUE}))"
    r"(?![A-Za-z\u05d0-\u05ea])",
    re.IGNORECASE,
)
_PROMPT_AFTER = re.compile(rf"^[\s-]*(?:{_PROMPT_CUE})", re.IGNORECASE)


def _count(found: re.Match[str]) -> float | None:
    if found.group("he_single"):
        return 1.0
    words = " ".join(found.group("count").split()).lower()
    if re.fullmatch(_RANGE, words):
        return float(re.findall(r"\d+", words)[-1])  # "2-3 sentences": the longer end
    for table in (_EN_COUNT_WORDS, _HE_COUNT_WORDS):
        if words in table:
            return float(table[words])
    value = parse_number(words)
    return None if value is None else float(value)


def _unit(found: re.Match[str]) -> str:
    if found.group("he_single"):
        return {"משפט": "sentence", "פסקה": "paragraph", "עמוד": "page", "דף": "page"}[found.group("he_single")]
    return next(name for name in _UNITS if found.group(name))


_FITS_IN = re.compile(r"(?:fits?|fit)\s+(?:easily\s+)?(?:in|into|on|within)\s+$|נכנס\w*\s+(?:בקלות\s+)?ב?$", re.IGNORECASE)


def _role(text: str, start: int, end: int) -> str | None:
    """input, output or prompt: the nearest cue before the size in its sentence, else the first one after."""
    if _PROMPT_AFTER.match(text, end):
        return "prompt"
    if _FITS_IN.search(text, max(0, start - 30), start):
        return None  # "the runbooks fit in a few pages": the size of the knowledge, not of a request
    left, right = sentence_bounds(text, start, end)
    before = [m for m in _CUE.finditer(text, left, start)]
    found = before[-1] if before else _CUE.search(text, end, right)
    if found is None:
        return None
    return next(kind for kind in ("prompt", "input", "output") if found.group(kind))


def size_hits(text: str) -> list[Hit]:
    """input_tokens and output_tokens hits, in tokens, for every size whose role can be told."""
    hits: list[Hit] = []
    for found in _SIZE.finditer(text):
        count = _count(found)
        if count is None or count <= 0:
            continue
        role = _role(text, found.start(), found.end())
        if role not in ("input", "output"):
            continue
        tokens = round(count * TOKENS_PER[_unit(found)])
        hits.append(Hit(f"{role}_tokens", tokens, found.start(), found.end()))
    return hits
