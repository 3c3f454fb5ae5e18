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


# --- Counts -----------------------------------------------------------------------------------------------
_EX_NOUN = (
    r"(?:examples?|samples?|pairs|demonstrations|demos|(?:labell?ed|annotated|tagged|graded)(?:\s+[A-Za-z]+)?"
    r"|training\s+[A-Za-z]+)"
)
_EX_NOUN_HE = r"דוגמ\w*|מתוי?יג\w*|מסומנ\w*|זוגות|תיוגים"
_TRAFFIC = (
    r"(?:requests?|calls?|quer(?:y|ies)|questions|messages|tickets|conversations|chats|emails|completions|inferences|"
    r"lookups|searches|interactions|generations|claims|orders|transactions|notes|cases|records|reviews|posts|articles)"
)
_TRAFFIC_HE = r"בקשות|פניות|שאילתות|שאילתים|קריאות|שאלות|הודעות|שיחות|כרטיסים|טיקטים|רשומות|תביעות|הזמנות|עסקאות|מקרים|ביקורות"
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
    rule(
        "prompt_tokens",
        _count,
        rf"{_NUM}[\s\-]*" + lat(r"tokens?"),
        rf"{_NUM}\s*" + he("טוקנים|טוקן|אסימונים|אסימון"),
        negatable=False,
        context=_PROMPT_CONTEXT,
    ),
)

# --- How often the knowledge changes ---------------------------------------------------------------------------
_CUE = lat(r"chang\w*|updat\w*|refresh\w*|revis\w*|edit\w*|rewrit\w*|publish\w*|releas\w*|rotat\w*|add(?:ed|s)?|moves?")
_CUE_HE = he(r"משתנ\w*|מתעדכ\w*|מתעדכן|מעדכ\w*|עדכו\w*|עדכון|שינוי\w*|מתחל\w*|מתווס\w*|מתפרס\w*|מוסיפ\w*|נכתב\w*\s+מחדש")
_NEAR = rf"(?:[\s,(]+{_W}){{0,4}}?[\s,(]+"
_FREQUENCY: dict[str, tuple[str, str]] = {
    "realtime": (
        r"real[-\s]?time|constantly|continuously|all\s+the\s+time|every\s+(?:few\s+)?(?:minutes?|hours?|seconds?)|hourly",
        r"בזמן\s+אמת|כל\s+הזמן|כל\s+שעה|מדי\s+שעה|כל\s+כמה\s+דקות|כל\s+דקה|ברציפות|שעתי\w*|באופן\s+רציף",
    ),
    "daily": (
        r"daily|every\s+(?:day|morning|night|evening)|each\s+day|once\s+a\s+day|(?:twice|several\s+times)\s+a\s+day|nightly|per\s+day",
        r"כל\s+יום|מדי\s+יום|פעם\s+ביום|פעמיים\s+ביום|יומי\w*|יום\s+יום|יומיום",
    ),
    "weekly": (
        r"weekly|bi-?weekly|every\s+(?:week|monday|tuesday|wednesday|thursday|friday|other\s+week|two\s+weeks|couple\s+of\s+weeks)"
        r"|each\s+week|once\s+a\s+week|(?:twice|a\s+few\s+times|several\s+times)\s+a\s+week|per\s+week",
        r"כל\s+שבוע|כל\s+שבועיים|מדי\s+שבוע|פעם\s+בשבוע|פעמיים\s+בשבוע|(?:כמה|מספר)\s+פעמים\s+בשבוע|שבועי\w*",
    ),
    "monthly": (
        r"monthly|quarterly|every\s+(?:month|quarter|few\s+months|couple\s+of\s+months)|each\s+month|once\s+a\s+month|per\s+month"
        r"|(?:a\s+few|several|two|three|a\s+couple\s+of)\s+times\s+a\s+month",
        r"כל\s+חודש|מדי\s+חודש|פעם\s+בחודש|חודשי\w*|כל\s+רבעון|רבעוני\w*|כל\s+כמה\s+חודשים|(?:כמה|מספר)\s+פעמים\s+בחודש",
    ),
    "yearly": (
        r"yearly|annually|every\s+(?:year|few\s+years)|each\s+year|once\s+a\s+year|per\s+year|rarely|seldom|once\s+in\s+a\s+while",
        r"כל\s+שנה|מדי\s+שנה|פעם\s+בשנה|שנתי\w*|לעי?תים\s+רחוקות|לעי?תים\s+נדירות|כמעט\s+(?:ו)?לא",
    ),
}


def _change_rules() -> tuple[Rule, ...]:
    built = []
    for value, (english, hebrew) in _FREQUENCY.items():
        freq, freq_he = lat(english), he(hebrew)
        alternatives = (
            f"{_CUE}{_NEAR}{freq}",
            f"{freq}{_NEAR}{_CUE}",
            f"{_CUE_HE}{_NEAR}{freq_he}",
            f"{freq_he}{_NEAR}{_CUE_HE}",
        )
        built.append(rule("knowledge_change", value, *alternatives))
    built.append(
        rule(
            "knowledge_change",
            "static",
            lat(
                r"(?:never|don't|doesn't|do\s+not|does\s+not|won't|hardly\s+ever)\s+(?:really\s+)?(?:chang\w*|get\s+updated)"
                r"|static|(?:stable|fixed|frozen)\s+(?:knowledge|content|corpus|docs|documents|data|facts|information)"
            ),
            he(r"לא\s+משתנ\w*|לא\s+מתעדכ\w*|סטטי\w*"),
            negatable=False,
        )
    )
    return tuple(built)


CHANGE_RULES = _change_rules()

# --- Yes/no facts --------------------------------------------------------------------------------------------
_DOC_NOUNS = (
    r"docs|documents|documentation|wiki|knowledge\s+base|kb|policies|policy\s+documents|manuals|handbooks?|contracts|"
    r"catalog(?:ue)?|procedures|sops|files|price\s+lists?|faqs?"
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
        he(r"מסמכים\s+(?:ה)?פנימיי?ם|מסמכי\s+(?:ה)?חברה|(?:ה)?מסמכים\s+שלנו|מאגר\s+(?:ה)?ידע|בסיס\s+(?:ה)?ידע|נהלי\w*|נהלים"),
        he(r"(?:מידע|נתונים|תיעוד|ידע)\s+(?:ה)?(?:עדכני\w*|פנימי\w*)|ויקי|קטלוג\w*|מחירון\w*|מתעדכ\w*|מתעדכן"),
    ),
    rule(
        "needs_external_knowledge",
        False,
        lat(r"(?:general|common|public|world)\s+knowledge\s+(?:is\s+)?(?:enough|suffices|is\s+fine)"),
        lat(r"(?:all|everything)\s+(?:it\s+needs\s+)?(?:is|are)\s+in\s+the\s+(?:input|prompt|message|request|ticket|email|text)"),
        he(r"ידע\s+כללי\s+(?:מספיק|מספק)|הכל\s+(?:נמצא\s+)?ב(?:קלט|טקסט|פנייה|הודעה)"),
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
            r"|tailored\s+to\s+(?:each|every|the)\s+(?:user|customer|person|reader)|individual\s+(?:users|preferences|customers)"
        ),
        he(
            r"מותא\w*\s+אישית|התאמה\s+אישית|לכל\s+(?:משתמש|לקוח)\w*|פרסונלי\w*|העדפות\s+(?:ה)?(?:משתמש|לקוח)\w*"
            r"|היסטורי\w*\s+(?:של\s+)?(?:ה)?(?:משתמש|לקוח|רכישות|הזמנות)\w*"
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
