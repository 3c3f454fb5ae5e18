"""How the Profile's deployment facts are written: how much reference material, live lookups, latency,
where the model may run, an evaluation set, and whether the OpenAI organisation can still tune.

Rules are data like ``lexicon.py``. Phrases that carry their own negation ("nothing can leave our
servers", "we can't use hosted APIs") are not negatable: the negation is what they say.
"""

from __future__ import annotations

import re

from service.intake.matching import Rule, he, lat, rule
from service.intake.numbers import NUMBER, parse_number

_HEB = "\u05d0-\u05ea"
_W = r"[^\s.,;:!?()]+"


def _many(found: re.Match[str]) -> str | None:
    # "8,000 product pages" is a corpus to search; "12 pages" may fit in a prompt, so it says nothing alone.
    # Documents are counted in thousands before they surely outgrow a prompt (and "1,200 past contracts" are examples).
    count = parse_number(found.group("num"))
    least = 100 if re.search(r"pages|עמודים|דפ", found.group(0), re.IGNORECASE) else 1000
    return "large" if count is not None and count >= least else None


_STORE = (
    r"wiki|knowledge\s+base|intranet|confluence|sharepoint|drive|archive|corpus|catalog(?:ue)?|repository|help\s+cent(?:er|re)"
    r"|document(?:ation)?(?:\s+(?:management\s+system|store|archive|library|base))?|docs|knowledge|documentation"
)
_CORPUS_NOUNS = r"documents|docs|pages|pdfs|files|articles|manuals|regulations|policies|contracts|matters|sops"
_COUNTED_NOUNS = r"documents|docs|pages|pdfs|articles|manuals|regulations"
# Not a corpus: "25k labeled articles" are examples, "20,000 documents a day" is traffic.
_NOT_LABELLED = r"(?:(?!labell?ed|annotated|tagged|graded|past|sample|example)[\w-]+\s+)"
_NOT_TRAFFIC = r"(?!\s*(?:a|an|per|each|every|/)\s*(?:day|hour|week|month|minute)|\s+(?:daily|hourly|weekly|monthly))"
_NOT_TRAFFIC_HE = r"(?!\s+(?:ביום|ליום|בשעה|לשעה|בשבוע|לשבוע|בחודש|לחודש|בדקה|מדי\s+יום))"
_PROMPT = r"(?:system\s+)?prompt|context(?:\s+window)?"
_CORPUS_HE = r"מסמכים|עמודים|דפים|דפי\s+\S+|קבצים|מאמרים|תיקים|חוזים|תקנות|נהלים"
_COUNTED_HE = r"מסמכים|עמודים|דפים|דפי\s+[^\s.,;:!?()]+|מאמרים|תקנות"

KNOWLEDGE_SIZE_RULES: tuple[Rule, ...] = (
    rule(
        "knowledge_size",
        "small",
        lat(rf"fits?\s+(?:easily\s+)?(?:in|into|on|within)\s+(?:a|one|the|our|a\s+single)\s+(?:{_PROMPT})"),
        lat(
            r"fits?\s+(?:easily\s+)?(?:in|into|on)\s+(?:a\s+few|a\s+couple\s+of|one|two|three|four|five|\d{1,2})\s+pages?"
            r"|(?:only|just)\s+(?:a\s+few|a\s+couple\s+of|one|two|three|\d{1,2})\s+(?:short\s+)?(?:pages?|documents?|docs)"
            r"|(?:small|short|tiny)\s+(?:faq|knowledge\s+base|corpus|handbook|policy\s+document|document\s+set)"
        ),
        he(r"נכנס\w*") + r"\s+(?:בקלות\s+)?" + he(r"ב(?:פרומפט|הנחיה|חלון\s+ההקשר)"),
        he(r"נכנס\w*") + r"\s+(?:בקלות\s+)?" + he(r"ב(?:כמה|עמוד|שני|שלושה|\d+)") + r"(?:\s+(?:עמודים|דפים))?",
        he(r"רק\s+כמה\s+(?:עמודים|דפים|מסמכים)|מסמך\s+קצר"),
        negatable=False,
    ),
    rule(
        "knowledge_size",
        "large",
        lat(rf"(?:whole|entire|full)\s+(?:[\w-]+\s+){{0,2}}?(?:{_STORE})"),
        lat(rf"(?:thousands|tens\s+of\s+thousands|hundreds|millions)\s+of\s+(?:[\w-]+\s+){{0,2}}?(?:{_CORPUS_NOUNS})"),
        lat(
            rf"too\s+(?:much|big|large|long)\s+(?:[\w-]+\s+){{0,3}}?(?:for|to\s+fit\s+in(?:to)?|to\s+paste\s+in(?:to)?)\s+"
            rf"(?:a|one|the)\s+(?:single\s+)?(?:{_PROMPT})"
        ),
        lat(
            rf"(?:doesn't|does\s+not|won't|can't|cannot|will\s+not|would\s+not|wouldn't)\s+fit\s+(?:in|into)\s+"
            rf"(?:a|one|the)\s+(?:single\s+)?(?:{_PROMPT})"
        ),
        he(r"(?:כל|כלל)\s+(?:ה)?(?:ויקי|מאגר|ארכיון|קטלוג|מערכת\s+ניהול\s+(?:ה)?מסמכים|תיעוד|אינטרנט|שרפוינט)"),
        he(rf"(?:עשרות\s+|מאות\s+)?(?:אלפי|מאות)\s+(?:{_CORPUS_HE})"),
        he(r"יותר\s+מדי") + rf"(?:\s+{_W}){{0,3}}?\s+" + he(r"(?:בשביל|ל)?\s*(?:להדביק\s+)?ב?(?:פרומפט|הנחיה)"),
        he(r"לא\s+נכנס\w*\s+ב(?:פרומפט|הנחיה)"),
        negatable=False,
    ),
    rule(
        "knowledge_size",
        _many,
        rf"(?P<num>{NUMBER})\s+{_NOT_LABELLED}{{0,2}}?" + lat(_COUNTED_NOUNS) + _NOT_TRAFFIC,
        rf"(?P<num>{NUMBER})\s+" + he(_COUNTED_HE) + r"(?!\s+(?:מתויג|מסומנ)\w*)" + _NOT_TRAFFIC_HE,
        negatable=False,
    ),
)

_LOOKUP = r"look(?:s|ing)?\s+up|fetch(?:es|ing)?|pull(?:s|ing)?|quer(?:y|ies|ying)|call(?:s|ing)?|check(?:s|ing)?|hits?"
_SYSTEMS = r"api|apis|systems?|database|db|crm|erp|backend|tms|core\s+banking|inventory\s+service"
_STATUS_OF = r"order|shipping|delivery|parcel|package|shipment|ticket|claim|booking|reservation|payment|application|account|case"

LIVE_RULES: tuple[Rule, ...] = (
    rule(
        "live_data",
        True,
        lat(rf"(?:{_STATUS_OF})\s+status(?:es)?|status\s+of\s+(?:their|the|a|an|his|her|each)\s+(?:[\w-]+\s+)?(?:{_STATUS_OF})"),
        lat(r"(?:account|current|remaining|available)\s+balances?"),
        lat(
            rf"(?:{_LOOKUP})\s+(?:[\w'-]+\s+){{0,5}}?(?:via|from|in|through|using)\s+(?:our|the|their)\s+"
            rf"(?:[\w-]+\s+){{0,2}}?(?:{_SYSTEMS})"
        ),
        lat(rf"(?:calls?|queries|hits)\s+(?:our|the)\s+(?:[\w-]+\s+){{0,2}}?(?:{_SYSTEMS})"),
        lat(
            r"(?:live|real[-\s]?time)\s+(?:data|values|lookups?)\s+from|(?:tool|function)[-\s]call(?:s|ing)?|at\s+(?:request|query)\s+time"
        ),
        he(r"(?:סטטוס|מצב)\s+(?:ה)?(?:הזמנה|משלוח|חבילה|תביעה|פנייה|תשלום|חשבון|בקשה)\w*"),
        he(r"(?:ה)?יתרה\s+(?:ה)?(?:נוכחית|עדכנית)|יתרת\s+(?:ה)?חשבון|(?:ה)?יתרה\s+(?:ה)?(?:עדכנית|נוכחית)\s+בחשבון"),
        he(r"פונה|פונים|שולף|שולפת|שולפים|בודק|בודקת|מושך|מושכת")
        + rf"(?:\s+{_W}){{0,4}}?\s+"
        + r"(?:דרך\s+)?[ובלמה]{0,2}-?(?:API|מערכת|מערכות|מסד\s+(?:ה)?נתונים|CRM|ERP)(?![\w\u05d0-\u05ea])",
        he(r"בזמן\s+(?:ה)?(?:בקשה|שאילתה)|נתונים\s+חיים"),
        negatable=True,
    ),
)

_SECONDS = r"(?:a|one|two|three|half\s+a|\d+(?:\.\d+)?)\s*(?:-|\s)?(?:seconds?|secs?|s|ms|milliseconds?)(?![A-Za-z])"

LATENCY_RULES: tuple[Rule, ...] = (
    rule(
        "latency_sensitive",
        True,
        lat(rf"(?:in\s+|within\s+)?(?:under|below|less\s+than|within)\s+{_SECONDS}|sub[-\s]?second|low[-\s]latency"),
        lat(r"latency|response\s+times?|instant(?:ly|aneous)?\s+(?:answers?|responses?|replies)"),
        lat(r"(?:fast|quick|snappy)\s+(?:answers?|responses?|replies)"),
        he(r"תוך\s+(?:פחות\s+מ)?(?:שנייה|שניה|שתי\s+שניות|חצי\s+שנייה|\d+\s+שניות)"),
        he(r"(?:פחות|לא\s+יותר)\s+מ(?:שנייה|שניה|שתי\s+שניות|\d+\s+שניות)|זמן\s+(?:ה)?תגובה|השהיה\s+נמוכה|מהירות"),
    ),
    rule(
        "latency_sensitive",
        False,
        lat(
            r"(?:nightly|overnight|offline|daily|weekly)\s+batch(?:es)?|batch\s+(?:job|jobs|process|mode|run)|overnight|in\s+(?:a\s+)?batch"
        ),
        he(r"(?:ב)?אצווה|אצוות|(?:כל|ב)\s*לילה|לילי\w*"),
        negatable=False,
    ),
)

_HOSTED = (
    r"(?:hosted|external|third[-\s]party|cloud|public|outside)\s+(?:llm\s+)?(?:apis?|llms?|models?|providers?|services?|vendors?)"
)
_PLACE = r"servers|network|premises|infrastructure|data\s*cent(?:er|re)|building|country|vpc|environment|cloud\s+account"
_NEVER = r"can't|cannot|can\s+not|must\s+not|mustn't|may\s+not|not\s+allowed\s+to|won't|never|can\s+never"

INFRASTRUCTURE_RULES: tuple[Rule, ...] = (
    rule(
        "own_infrastructure",
        True,
        lat(r"on[-\s]?prem(?:ise|ises)?|self[-\s]hosted|air[-\s]gapped|in[-\s]house\s+(?:only|hosting|servers|gpus)"),
        lat(rf"(?:our|their)\s+own\s+(?:{_PLACE}|hardware|gpus?|machines)"),
        lat(r"host\s+(?:it|the\s+model|models?)\s+ourselves|run\s+(?:it|the\s+model)\s+ourselves"),
    ),
    rule(
        "own_infrastructure",
        True,
        lat(r"(?:nothing|no\s+data|data)\s+(?:can|may|must|should|is\s+allowed\s+to)(?:n't|\s+not|\s+never)?\s+leave"),
        lat(rf"(?:{_NEVER})\s+(?:[\w-]+\s+){{0,3}}?leave\s+(?:our|the)\s+(?:[\w-]+\s+)?(?:{_PLACE})"),
        lat(rf"(?:{_NEVER})\s+(?:use|send\s+(?:[\w-]+\s+){{0,4}}?to|call)\s+(?:an?\s+|any\s+)?{_HOSTED}"),
        lat(rf"(?:no|without)\s+{_HOSTED}"),
        he(r"(?:לא|אסור)")
        + rf"(?:\s+{_W}){{0,3}}?\s+"
        + he(r"(?:יוצא\w*|לצאת|ייצא\w*|תצא|יצאו)\s+מ(?:ה)?(?:שרתים|רשת|ארגון|חוות|בניין)\w*"),
        he(r"אסור")
        + rf"(?:\s+{_W}){{0,2}}?\s+"
        + he(r"להשתמש|לשלוח")
        + rf"(?:\s+{_W}){{0,3}}?\s+"
        + r"(?:ב-?|ל-?)?(?:API|שירות|ענן|מודל)\s*(?:מתארח|חיצוני|ענני)?",
        he(r"רשת\s+סגורה|בלי\s+חיבור\s+(?:החוצה|לאינטרנט)|(?:ה)?שרתים\s+שלנו|תשתית\s+(?:ה)?(?:שלנו|פנימית)")
        + r"|(?:ה)?GPU\s+שלנו",
        negatable=False,
    ),
    rule(
        "own_infrastructure",
        False,
        lat(rf"(?:a\s+|the\s+)?{_HOSTED}\s+(?:is|are)\s+(?:fine|ok|okay|allowed|acceptable)"),
        r"API\s+" + he(r"(?:מתארח|חיצוני|ענני)\s+(?:מתאים|בסדר|מותר)\w*"),
        negatable=False,
    ),
)

EVAL_RULES: tuple[Rule, ...] = (
    rule(
        "has_eval_set",
        True,
        lat(
            r"(?:test|eval(?:uation)?|validation|held[-\s]out|golden|gold|benchmark)\s+(?:set|sets|suite|questions|cases|dataset)"
            r"|(?:golden|gold)\s+(?:answers|examples)|set\s+of\s+(?:\w+\s+){0,3}?(?:test|eval(?:uation)?)\s+(?:questions|cases)"
        ),
        he(r"(?:סט|מערך|אוסף)\s+(?:ה)?(?:בדיקה|בדיקות|הערכה|מבחן|זהב|ולידציה)|(?:שאלות|מקרי)\s+(?:בדיקה|מבחן)"),
    ),
)

_OPENAI = r"openai|open\s+ai|gpt|אופן\s*איי\s*איי"
_TUNED = r"fine[-\s]?tun(?:ed|ing)|ran\s+(?:a\s+)?fine[-\s]?tun\w*(?:\s+jobs?)?|tuning\s+jobs?"
_RECENTLY = (
    r"last\s+(?:week|month)|recently|(?:a|one|two|three|four|five|six|a\s+few|\d+)\s+(?:days?|weeks?)\s+ago|this\s+month"
    r"|a\s+month\s+ago"
)
_TUNED_HE = r"fine[-\s]?tuning|פיין[-\s]?טיונינג|כוונון\s+עדין|כוונון|אימון"

OPENAI_RULES: tuple[Rule, ...] = (
    rule(
        "openai_can_tune",
        "yes",
        lat(rf"(?:{_TUNED})\s+(?:[\w.-]+\s+){{0,6}}?(?:{_RECENTLY})"),
        lat(r"(?:can|could)\s+still\s+(?:start|run|create|launch)\s+(?:[\w-]+\s+){0,2}?(?:fine[-\s]?tun\w*|jobs?|training)"),
        lat(r"(?:have|has|with)\s+(?:fine[-\s]?tuning|tuning)\s+access"),
        he(r"עשינו|עשה|הרצנו|הריץ|הריצו")
        + rf"(?:\s+{_W}){{0,3}}?\s+"
        + f"(?:{he(_TUNED_HE)})"
        + rf"(?:\s+{_W}){{0,4}}?\s+"
        + he(r"בחודש\s+(?:ה)?שעבר|לאחרונה|לפני\s+\S+\s+(?:שבועות|ימים|חודש)|בשבוע\s+(?:ה)?שעבר"),
        he(r"עדיין\s+יכול\w*\s+(?:להריץ|להתחיל|לפתוח)"),
        negatable=False,
        context=_OPENAI,
    ),
    rule(
        "openai_can_tune",
        "no",
        lat(
            r"(?:never|not\s+yet|haven't|have\s+not|hasn't|has\s+not|didn't|did\s+not)\s+(?:[\w-]+\s+){0,2}?"
            r"(?:fine[-\s]?tuned|run\s+(?:a\s+|any\s+)?fine[-\s]?tun\w*|done\s+(?:any\s+)?fine[-\s]?tun\w*|tuned)"
        ),
        lat(
            r"(?:can't|cannot|can\s+no\s+longer|no\s+longer\s+(?:can|able\s+to|allowed\s+to))\s+(?:[\w-]+\s+){0,2}?"
            r"(?:fine[-\s]?tun\w*|start\s+(?:[\w-]+\s+)?(?:jobs?|fine[-\s]?tun\w*))"
        ),
        he(r"(?:אף\s+פעם\s+)?לא")
        + rf"(?:\s+{_W})?\s+"
        + he(r"עשינו|עשה|הרצנו|הריץ|הריצו")
        + rf"(?:\s+{_W}){{0,2}}?\s+"
        + f"(?:{he(_TUNED_HE)})",
        he(r"לא\s+(?:יכול\w*|מאפשר\w*)")
        + rf"(?:\s+{_W}){{0,2}}?\s+"
        + he(r"להריץ|להתחיל|לעשות")
        + rf"(?:\s+{_W})?\s+"
        + f"(?:{he(_TUNED_HE)})",
        negatable=False,
        context=_OPENAI,
    ),
)

DEPLOYMENT_RULES: tuple[Rule, ...] = (
    *KNOWLEDGE_SIZE_RULES,
    *LIVE_RULES,
    *LATENCY_RULES,
    *INFRASTRUCTURE_RULES,
    *EVAL_RULES,
    *OPENAI_RULES,
)
