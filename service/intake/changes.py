"""How often the knowledge behind the answers changes, in English and Hebrew: "the docs change every week", "מתעדכן כל חודש".

A change word and a frequency within a few words of each other, in either order. Counts of traffic are
matched first (``lexicon.COUNT_RULES``) and claim their words, so "500 requests daily" is never a change.
"""

from __future__ import annotations

from service.intake.matching import Rule, he, lat, rule

_W = r"[^\s.,;:!?()]+"  # one word, any script

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
