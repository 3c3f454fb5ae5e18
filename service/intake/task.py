"""Which words of a description say what the model should do.

People open with context ("We run an internal HR assistant for 3,000 employees.") and state the task
after a cue: "we want it to ...", "the goal is to ...", "an assistant that ...", "Task: ...", "המטרה היא
...", "רוצים שהמודל ...". The task is the words after the earliest cue, up to the end of their clause
("..., which HR updates monthly" is not the task). Without a cue it is the first sentence that is not
context (a greeting, "we are a ...", "Context: ..."), or the first sentence.
"""

from __future__ import annotations

import re

from service.intake.matching import he, lat
from service.intake.schemas import TASK_MAX_CHARS

_EN_VERBS = (  # noqa: SIM905 - a word list reads better as prose than as quoted strings
    "answer analy[sz]e assess assign assist book build calculate caption categori[sz]e check choose classify clean "
    "compare compose convert correct create decide describe detect draft estimate evaluate explain extract fill "
    "filter find fix flag forecast format generate give grade group guide help identify interpret label look map "
    "match moderate normali[sz]e paraphrase parse pick plan predict prepare prioriti[sz]e process produce proofread "
    "pull rank read recommend redact reply respond review rewrite route schedule score search simplify sort spot "
    "suggest summari[sz]e support tag tell transcribe translate triage turn tutor validate verify write"
).split()


def _inflected(stem: str) -> str:
    """A verb stem with its -s/-es/-ies forms (``classify`` -> ``classif(?:y|ies)``)."""
    if stem.endswith("y") and stem[-2] not in "aeiou":
        return f"{stem[:-1]}(?:y|ies)"
    if re.search(r"(?:s|sh|ch|x|z)$", stem):
        return f"{stem}(?:es)?"
    return f"{stem}s?"


_VERB = lat("|".join(_inflected(stem) for stem in _EN_VERBS))
_AGENT = r"(?:model|bot|chat\s?bot|assistant|llm|system|tool|agent|ai|copilot|service|app|pipeline|feature)"
_EN_CUES = (
    # "we want it to", "we need the model to", "we'd like an assistant to", "we need to"
    rf"\b(?:we|i)(?:\s+(?:really|would|also|just))?\s*(?:'d|'re)?\s+(?:want|need|like|looking|plan|hope|aim)(?:\s+for)?"
    rf"(?:\s+(?:it|(?:the|a|an)\s+(?:[\w-]+\s+){{0,2}}?{_AGENT}))?\s+to\s+(?={_VERB})",
    # "an assistant that answers", "a tool for HR that turns", "a model which flags"
    rf"\b(?:a|an|the)\s+(?:[\w-]+\s+){{0,3}}?{_AGENT}(?:\s+for(?:\s+[\w-]+){{1,3}}?)?\s+(?:that|which|to)\s+(?={_VERB})",
    # "the goal is to", "the idea is to"
    r"\b(?:the\s+|our\s+)?(?:goal|aim|idea|plan|purpose|task|use\s+case|ask|job)\s+(?:is|would\s+be)\s+(?:to\s+)?",
    # "Task: ...", "Use case: ...", "Basically: ..."
    r"\b(?:task|use\s+case|goal|basically|in\s+short|tl;?dr|the\s+ask|what\s+we\s+need)\s*:\s*",
    # "the model should", "the bot must", "the assistant needs to"
    rf"\b(?:the|our|this|an?)\s+{_AGENT}\s+(?:should|must|will|would|can|needs?\s+to|has\s+to|is\s+(?:supposed|meant)\s+to)\s+",
    # "the chatbot answers ...": the agent, then what it does
    rf"\b(?:the|our|this)\s+(?:[\w-]+\s+)?{_AGENT}\s+(?={_VERB})",
    # "...: turn X into Y"
    rf":\s+(?={_VERB})",
)

_HE_VERBS = (  # noqa: SIM905 - a word list reads better as prose than as quoted strings
    "עונה עונים עונות מסווג מסווגת מסווגים מחלץ מחלצת מחלצים מסכם מסכמת מסכמים "
    "מנסח מנסחת מנסחים כותב כותבת כותבים מתייג מתייגת מתייגים מזהה מזהים מתרגם "
    "מתרגמת מתרגמים ממליץ ממליצה ממליצים בודק בודקת בודקים מייצר מייצרת מייצרים יוצר "
    "יוצרת מסביר מסבירה מסבירים מנתב מנתבת מנתבים קורא קוראת הופך הופכת הופכים "
    "מדרג מדרגת מוצא נותן נותנת עוזר עוזרת שולף שולפת משיב משיבה משיבים "
    "מטפל מטפלת ממלא ממלאת מסמן מסמנת מנתח מנתחת מחשב מחשבת מאתר מאתרת "
    "משכתב משכתבת מתמלל בונה מכין מכינה מייעץ מציע מציעה מחזיר מחזירה מפיק "
    "מפיקה"
).split()
_HE_VERB = rf"(?:{'|'.join(_HE_VERBS)})(?![\u05d0-\u05ea])"
_HE_AGENT = r"(?:מודל|בוט|עוזר|עוזרת|מערכת|צ['׳]אטבוט|כלי|סוכן|אפליקציה|שירות)"
_HE_INFINITIVE = r"ל(?!היות)[\u05d0-\u05ea]{2,}"
_HE_CUES = (
    # "אנחנו רוצים שהמודל יסביר", "רוצים שהבוט", "נרצה מודל שמנסח", "צריך לסווג"
    he(r"רוצים|רוצות|רוצה|נרצה|צריכים|צריכות|צריך|צריכה|מבקשים|מחפשים|נצטרך")
    + rf"\s+(?:ש(?:ה)?{_HE_AGENT}\s+|ש(?:הוא|היא|זה)\s+|{_HE_AGENT}\s+ש|(?={_HE_INFINITIVE}))",
    # "עוזר שעונה", "כלי למשאבי אנוש שהופך"
    he(_HE_AGENT) + rf"(?:\s+[^\s.,;:!?()]+){{0,3}}?\s+ש(?={_HE_VERB})",
    # "המטרה היא לענות", "הרעיון הוא"
    he(r"המטרה|הרעיון|המשימה|השימוש|התפקיד|הצורך") + r"\s+(?:היא|הוא|:)\s*",
    # "המודל צריך להגיד", "הבוט אמור לענות"
    he(_HE_AGENT) + r"\s+(?:צריך|צריכה|אמור|אמורה|חייב|חייבת|יצטרך|יוכל|תצטרך|תוכל)\s+",
    # "הצ'אטבוט עונה לקונים"
    he(_HE_AGENT) + rf"\s+(?={_HE_VERB})",
    # "...: לקרוא ביקורות"
    rf":\s+(?={_HE_INFINITIVE}|{_HE_VERB})",
)
_CUES = tuple(re.compile(cue, re.IGNORECASE) for cue in (*_EN_CUES, *_HE_CUES))
# What follows a cue that is not yet the task: "the idea is an assistant that answers" -> "answers".
_LEAD_IN = re.compile(
    rf"^(?:(?:a|an|the)\s+(?:[\w-]+\s+){{0,3}}?{_AGENT}(?:\s+for(?:\s+[\w-]+){{1,3}}?)?\s+(?:that|which|to)\s+(?={_VERB})"
    rf"|(?:it|the\s+{_AGENT})\s+to\s+|to\s+|{_HE_AGENT}(?:\s+[^\s.,;:!?()]+){{0,3}}?\s+ש(?={_HE_VERB}))",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(
    r"\s*(?:[,;]\s*(?:which|who|where|so|but|because|since|as|while|though|although|ideally|preferably|adapted|tailored"
    r"|based|using|and\s+(?:we|it|they|our|that|this|its|then|also))(?![A-Za-z])"
    r"|,\s*(?:ש|אבל|אך|כי|כך|ולכן|אז|מותא\w*|בהתאם|בגלל|למרות|והוא|והיא|והם)(?=[\u05d0-\u05ea]|\s)"
    r"|\s*[;:(]|\s+[-–—]\s|\s+but\s|[.!?](?=\s|$)|\n)",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"[.!?](?=\s|$)|\n")
_CONTEXT = re.compile(
    r"^\W*(?:hi|hello|hey|thanks|quick\s+(?:q|question|background)|context|background|fyi|for\s+context"
    r"|(?:we|i)(?:'re|'m|\s+are|\s+am|\s+run|\s+work|\s+have|\s+own|\s+operate|\s+sell|\s+build)\b"
    r"|our\s+(?:company|team|org|organi[sz]ation|firm|startup|group)\b"
    rf"|{he('שלום|היי|רקע|הקשר|אנחנו|אני|החברה שלנו|הצוות שלנו')})",
    re.IGNORECASE,
)


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for stop in _SENTENCE.finditer(text):
        spans.append((start, stop.end()))
        start = stop.end()
    spans.append((start, len(text)))
    return [(a + len(text[a:b]) - len(text[a:b].lstrip()), b) for a, b in spans if text[a:b].strip()]


def _cue_start(text: str, start: int, end: int) -> int | None:
    found = [m.end() for cue in _CUES if (m := cue.search(text, start, end)) and m.end() < end]
    if not found:
        return None
    begin = min(found)
    while lead := _LEAD_IN.match(text[begin:end]):
        if not lead.end():
            break
        begin += lead.end()
    return begin


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    end = min(end, start + TASK_MAX_CHARS)
    while end > start and (text[end - 1].isspace() or text[end - 1] in ",;:-"):
        end -= 1
    return start, end


def task_span(text: str) -> tuple[int, int] | None:
    """Where the task is written: the words after the first cue, else the first sentence that is not context."""
    sentences = _sentences(text)
    if not sentences:
        return None
    for start, end in sentences:
        begin = _cue_start(text, start, end)
        if begin is not None:
            stop = _CLAUSE_END.search(text, begin, end)
            if stop is not None and stop.start() > begin:
                end = stop.start()
            if len(text[begin:end].split()) >= 2:
                return _trim(text, begin, end)
    start, end = next(((a, b) for a, b in sentences if not _CONTEXT.match(text[a:b])), sentences[0])
    if len(text[start:end].split()) < 3:
        start, end = sentences[0][0], len(text)  # a fragment ("Hi.") says nothing alone: take the whole text
    return _trim(text, start, end)
