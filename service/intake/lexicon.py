"""How each Profile fact is written, in English and Hebrew: the rule extractor's data.

Every rule names a Profile field and a value; ``lat`` and ``he`` give word boundaries that work
across scripts (Hebrew words may carry attached prefixes, Latin terms may follow one). Counts are
matched first and claim their words, so "500 requests a day" never also reads as "changes daily".
Adding a phrasing is adding an alternative here, plus a labelled description in the tests.
"""

from __future__ import annotations

import re

from service.intake.matching import Rule, he, lat, rule
from service.intake.numbers import NUMBER, parse_number

_NUM = rf"(?P<num>{NUMBER})"
_W = r"[^\s.,;:!?()]+"  # one word, any script
_GAP = rf"(?:[\s\-]+{_W}){{0,3}}?[\s\-]+"  # up to three words between two parts of a phrase


def _count(found: re.Match[str]) -> int | None:
    return parse_number(found.group("num"))


_PER_DAY = (
    ("minute", 1440.0),
    ("דקה", 1440.0),
    ("hour", 24.0),
    ("שעה", 24.0),
    ("week", 1 / 7),
    ("שבוע", 1 / 7),
    ("month", 1 / 30),
    ("חודש", 1 / 30),
)


def _per_day(found: re.Match[str]) -> int | None:
    count = parse_number(found.group("num"))
    unit = found.group("unit").lower()
    factor = next((f for word, f in _PER_DAY if word in unit), 1.0)
    return None if count is None else round(count * factor)


def _volume(found: re.Match[str]) -> int | None:
    # A bare "150 אלף בחודש" is traffic; a small bare count ("3 ביום") is more likely a schedule than a volume.
    count = parse_number(found.group("num"))
    return _per_day(found) if count is not None and count >= 10 else None


# --- Counts -----------------------------------------------------------------------------------------------
_EX_NOUN = (
    r"(?:examples?|samples?|pairs|demonstrations|demos|(?:labell?ed|annotated|tagged|graded)(?:\s+[A-Za-z]+)?"
    r"|training\s+[A-Za-z]+)"
)
_EX_NOUN_HE = r"דוגמ\w*|מתוי?יג\w*|מסומנ\w*|זוגות|תיוגים"
_TRAFFIC = (
    r"(?:requests?|calls?|quer(?:y|ies)|questions|messages|tickets|conversations|chats|emails|completions|inferences|"
    r"lookups|searches|interactions|generations|claims|orders|transactions|notes|cases|records|reviews|posts|articles|"
    r"documents|invoices|summaries|reports|replies|answers|runs)"
)
_TRAFFIC_HE = (
    r"בקשות|פניות|שאילתות|שאילתים|קריאות|שאלות|הודעות|שיחות|כרטיסים|טיקטים|רשומות|תביעות|הזמנות|עסקאות|מקרים|ביקורות"
    r"|בדיקות|חיפושים|מיילים|צ['׳]אטים|מסמכים|חשבוניות|סיכומים|דוחות|תשובות"
)
_CALLED = r"called|invoked|used|hit|queried|run|triggered|pinged|asked|requested|sent"
_CALLED_HE = (
    r"נקרא|נקראת|נקראים|מופעל|מופעלת|מופעלים|רץ|רצה|פונים\s+אליו|פונים\s+אליה|קוראים\s+לו|קוראים\s+לה|משתמשים\s+בו|משתמשים\s+בה"
)
_UNIT_HE = r"(?P<unit>ביום|ליום|בשעה|לשעה|בשבוע|לשבוע|בחודש|לחודש|בדקה|לדקה|יומי\w*|מדי\s+יום)(?![\u05d0-\u05ea])"
_PROMPT_CONTEXT = r"prompt|instruction|system\s+message|few[-\s]shot|פרומפט|הנחי|הוראות"

COUNT_RULES: tuple[Rule, ...] = (
    rule("examples", _count, rf"{_NUM}{_GAP}{lat(_EX_NOUN)}", negatable=False),
    rule("examples", _count, lat(r"(?:labell?ed|annotated|tagged)") + rf"\s+{_NUM}", negatable=False),
    rule(
        "examples",
        _count,
        lat(r"(?:(?:labell?ed|annotated|training)\s+(?:examples|data|set|dataset|tickets|pairs)|examples|dataset|data\s+set)")
        + rf"\s*(?::|=|\bof\b|\bwith\b|\bcontaining\b)\s*{_NUM}",
        negatable=False,
    ),
    rule(
        "examples", _count, rf"{_NUM}(?:\s+{_W}){{0,2}}?\s+{he(_EX_NOUN_HE)}", he("תייגנו|סימנו") + rf"\s+{_NUM}", negatable=False
    ),
    rule(
        "examples",
        0,
        lat(
            r"(?:no|zero|without(?:\s+any)?|(?:don't|do\s+not|doesn't|does\s+not|haven't|have\s+not)\s+(?:have|got)?\s*any)"
            r"\s+(?:[A-Za-z\-]+\s+){0,2}?(?:examples|labell?ed\s+(?:data|examples|tickets|samples)|training\s+(?:data|examples)|"
            r"annotated\s+data|labels|samples)"
        ),
        he(r"(?:אין(?:\s+לנו)?|בלי|ללא|אפס)")
        + rf"\s+(?:{_W}\s+){{0,2}}?"
        + he(rf"{_EX_NOUN_HE}|דאטה\s+מתוי?יג|נתונים\s+מתוי?יגים"),
        negatable=False,
    ),
    rule(
        "requests_per_day",
        _per_day,
        rf"{_NUM}(?:{_GAP}{lat(_TRAFFIC)}(?:\s+[A-Za-z]+){{0,2}}?)?\s*(?:per|a|an|each|every|/)\s*"
        r"(?P<unit>day|hour|week|month|minute)s?(?![A-Za-z])",
        negatable=False,
    ),
    rule("requests_per_day", _per_day, rf"{_NUM}{_GAP}{lat(_TRAFFIC)}\s+(?P<unit>daily|hourly|weekly|monthly)", negatable=False),
    rule(
        "requests_per_day",
        _per_day,
        lat(r"(?:requests|calls|queries)") + rf"\s+per\s+(?P<unit>day|hour|week|month)\s*(?::|=|\bis\b|\bare\b|\bof\b)?\s*{_NUM}",
        negatable=False,
    ),
    rule(
        "requests_per_day",
        _per_day,
        rf"{_NUM}(?:\s+{_W})?\s+{he(_TRAFFIC_HE)}(?:\s+{_W})?\s+{_UNIT_HE}",
        negatable=False,
    ),
    # "it is called roughly 5,000 times a day": times, with a verb of use before them
    rule(
        "requests_per_day",
        _per_day,
        lat(_CALLED) + rf"\s+(?:[A-Za-z]+\s+){{0,2}}?{_NUM}\s+times\s*(?:a|an|per|each|every|/)\s*"
        r"(?P<unit>day|hour|week|month|minute)s?(?![A-Za-z])",
        he(_CALLED_HE) + rf"(?:\s+{_W}){{0,2}}?\s+{_NUM}\s+" + he("פעמים") + rf"\s+{_UNIT_HE}",
        negatable=False,
    ),
    rule("requests_per_day", _volume, rf"{_NUM}\s+{_UNIT_HE}", negatable=False),
    rule(
        "prompt_tokens",
        _count,
        rf"{_NUM}[\s\-]*" + lat(r"tokens?"),
        rf"{_NUM}\s*" + he("טוקנים|טוקן|אסימונים|אסימון"),
        negatable=False,
        context=_PROMPT_CONTEXT,
    ),
)

# --- Yes/no facts --------------------------------------------------------------------------------------------
_DOC_NOUNS = (
    r"docs|documents|documentation|wiki|knowledge\s+base|kb|policies|policy\s+documents|manuals|handbooks?|contracts|"
    r"catalog(?:ue)?|procedures|sops|files|price\s+lists?|faqs?|runbooks|playbooks|guidelines|knowledge"
)

FACT_RULES: tuple[Rule, ...] = (
    rule(
        "needs_external_knowledge",
        True,
        lat(
            rf"(?:private|internal|proprietary|confidential|in-house|company|corporate|our\s+own)\s+(?:[A-Za-z\-]+\s+)?"
            rf"(?:{_DOC_NOUNS}|data|database|records|information|info)"
        ),
        lat(rf"our\s+(?:[A-Za-z\-]+\s+)?(?:{_DOC_NOUNS})|knowledge\s+base|product\s+catalog(?:ue)?"),
        lat(
            r"(?:latest|recent|current|up[-\s]to[-\s]date|real[-\s]time|live)\s+(?:[A-Za-z\-]+\s+)?"
            r"(?:data|information|info|prices|pricing|inventory|stock|news|events|figures|availability|policies|rates)"
        ),
        lat(r"(?:external|outside|extra|additional)\s+(?:knowledge|information|facts|data)"),
        lat(
            r"(?:frequently|often|regularly|constantly)\s+(?:updated|changing|changes?|revised)"
            r"|(?:updated|revised)\s+(?:frequently|often|regularly)|keeps?\s+changing"
        ),
        he(
            r"מסמכים\s+(?:ה)?פנימיי?ם|מסמכי\s+(?:ה)?חברה|(?:ה)?מסמכים\s+שלנו|מאגר\s+(?:ה)?ידע|בסיס\s+(?:ה)?ידע|(?<!מ)נהלי\w*|(?<!מ)נהלים"
        ),
        he(r"(?:מידע|נתונים|תיעוד|ידע)\s+(?:ה)?(?:עדכני\w*|פנימי\w*)|ויקי|קטלוג\w*|מחירון\w*|מתעדכ\w*|מתעדכן"),
    ),
    rule(
        "needs_external_knowledge",
        False,
        lat(r"(?:general|common|public|world)\s+knowledge\s+(?:is\s+)?(?:enough|suffices|is\s+fine)"),
        lat(
            r"(?:(?:all|everything)\s+(?:it\s+needs\s+)?(?:is|are)|(?:is|are)\s+all)\s+in\s+the\s+"
            r"(?:input|prompt|message|request|ticket|email|text|document)"
        ),
        he(r"ידע\s+כללי\s+(?:מספיק|מספק)|הכל\s+(?:נמצא\s+)?ב(?:קלט|טקסט|פנייה|הודעה)"),
        he(r"(?:כל\s+)?(?:ה)?(?:ידע|מידע)\s+(?:ה)?(?:דרוש|נדרש|נחוץ)\s+(?:נמצא\s+)?ב(?:קלט|טקסט|פנייה|הודעה)"),
        negatable=False,
    ),
    rule(
        "strict_format",
        True,
        lat(
            r"json(?:\s+schema)?|schema|xml|csv|yaml|structured\s+(?:output|outputs|format|data|responses?|json)"
            r"|(?:fixed|strict|rigid|exact|specific|set|predefined)\s+(?:format|structure|fields|schema|template|layout)"
            r"|machine[-\s]readable|parse(?:able|d)\s+by\s+(?:code|our\s+system)"
        ),
        he(r"סכמה|סכימה|(?:פורמט|מבנה)\s+(?:ה)?(?:קבוע|מוגדר|מדויק|נוקשה|אחיד)|שדות\s+(?:ה)?קבועים|פלט\s+מובנה|מובנה"),
    ),
    rule("strict_format", False, lat(r"free[-\s]?(?:form|text)|plain\s+(?:text|prose)|prose"), he(r"טקסט\s+חופשי|פורמט\s+חופשי")),
    rule(
        "custom_style",
        True,
        lat(
            r"tone(?:\s+of\s+voice)?|(?:brand|house|our|company's|company)\s+(?:voice|style)|brand(?:ed|ing)?(?!\s+names?)"
            r"|on[-\s]brand|persona|style\s+guide|writing\s+style|sounds?\s+like\s+(?:us|our\s+\w+|a\s+human)|personality"
        ),
        he(r"טון|טונים|סגנון\w*|מיתוג|מותג|פרסונה|שפת\s+(?:ה)?מותג|קול\s+(?:ה)?(?:מותג|חברה|בית)|נשמע\w*\s+כמו\w*"),
    ),
    rule(
        "domain_language",
        True,
        lat(
            r"terminology|jargon|acronyms|abbreviations|lingo|vocabulary|(?:domain|industry|field)[-\s]specific\s+"
            r"(?:language|terms|words|wording)|(?:medical|legal|financial|technical|clinical|engineering|insurance|industry|"
            r"scientific|niche|specialised|specialized|banking|pharma|regulatory|internal)\s+(?:terms|language|wording)"
        ),
        he(
            r"מונחים|מונח|מינוח\w*|ז['׳]?רגון|ראשי\s+תיבות|קיצורים|טרמינולוגיה|עגה"
            r"|שפה\s+(?:מקצועית|משפטית|רפואית|טכנית|פיננסית|ייחודית)|מילים\s+מקצועיות"
        ),
    ),
    rule(
        "narrow_task",
        True,
        lat(
            r"classif\w*|categori[sz]\w*|extract\w*|tagging|sentiment|intent\s+(?:detection|classification|recognition)"
            r"|named[-\s]entit\w*|routing|route\s+(?:\w+\s+){0,3}to|triage|tag(?:s|ging)?\s+(?:each|every|incoming|all)"
            r"|(?:write|writes|writing|generate|generates|generating)\s+(?:\w+\s+)?(?:SQL|regex(?:es)?)|text[-\s]to[-\s]SQL|(?:assign|pick|choose)\s+(?:a|one|the)\s+"
            r"(?:label|category|class)|(?:one|a)\s+(?:narrow|single|specific)\s+task|yes[-/]no\s+(?:answers?|questions?|decisions?)"
        ),
        he(r"סיווג\w*|לסווג|מסווג\w*|חילוץ|לחלץ|מחלצ\w*|לתייג|ניתוב|לנתב|קטגורי\w*|משימה\s+(?:אחת|צרה|ספציפית|מוגדרת)"),
        he(r"לכתוב|לייצר|כתיבת|מייצר|כותב") + r"\s+" + lat(r"SQL"),
    ),
    rule(
        "narrow_task",
        False,
        lat(
            r"open[-\s]ended|general[-\s]purpose|(?:many|various|varied|all\s+kinds\s+of|a\s+wide\s+range\s+of)\s+"
            r"(?:different\s+)?(?:tasks|questions|topics)"
        ),
        he(r"שאלות\s+פתוחות|(?:מגוון|הרבה)\s+(?:רחב\s+של\s+)?(?:משימות|נושאים|שאלות)|משימות\s+מגוונות"),
    ),
    rule(
        "personalization",
        True,
        lat(
            r"personali[sz]\w*|per[-\s]user|user[-\s]specific|each\s+(?:user|customer|client|member|patient|student)"
            r"|(?:user|customer|client)(?:'s|s'|s)?\s+(?:history|preferences|profile|past\s+orders|purchase\s+history)"
            r"|(?:tailored|adapted|adjusted|customi[sz]ed|matched)\s+to\s+(?:each|every|the)\s+"
            r"(?:user|customer|client|person|reader|student|learner|patient|member)(?:'s|s')?"
            r"|individual\s+(?:users|preferences|customers)"
        ),
        he(
            r"מותא\w*\s+אישית|התאמה\s+אישית|לכל\s+(?:משתמש|לקוח)\w*|פרסונלי\w*|העדפות\s+(?:ה)?(?:משתמש|לקוח)\w*"
            r"|היסטורי\w*\s+(?:של\s+)?(?:ה)?(?:משתמש|לקוח|רכישות|הזמנות)\w*"
            r"|מותא\w*\s+ל(?:רמה|צרכים|העדפות|היסטוריה|פרופיל)\s+(?:של\s+)?(?:ה)?(?:תלמיד|משתמש|לקוח|קורא|מטופל|עובד)\w*"
        ),
    ),
    rule(
        "personalization",
        False,
        lat(
            r"same\s+(?:answer|reply|response|output)\s+for\s+(?:everyone|all\s+users|every\s+user)|one[-\s]size[-\s]fits[-\s]all"
        ),
        he(r"אותה\s+תשובה\s+(?:לכולם|לכל\s+המשתמשים)"),
        negatable=False,
    ),
)
