"""Rules for the facts that pick one of several values: provider, model, prompting so far, example quality.

A negated mention ("we don't use OpenAI") drops the hit instead of flipping it: it says what a
team does not use, not what it does.
"""

from __future__ import annotations

import re

from service.intake.matching import Rule, he, lat, rule


def _model_name(found: re.Match[str]) -> str:
    return "-".join(found.group(0).lower().split())[:200]


_GOOGLE_NOT_A_MODEL = r"(?!\s+(?:docs?|drive|sheets|search|workspace|analytics|calendar|maps|forms))"

PROVIDER_RULES: tuple[Rule, ...] = (
    rule(
        "provider",
        "openai",
        lat(r"openai|open\s+ai|chat\s*gpt|gpt(?:[-\s]?\d[\w.\-]*)?"),
        he(r"אופן\s*איי\s*איי|צ['׳]אט\s*ג['׳]י?פי?טי"),
    ),
    rule(
        "provider",
        "google",
        lat(rf"gemini|google{_GOOGLE_NOT_A_MODEL}|vertex(?:\s+ai)?"),
        he(r"ג['׳]?מיני|גוגל(?!\s+(?:דוקס|דרייב))"),
    ),
    rule("provider", "anthropic", lat(r"claude|anthropic"), he(r"קלוד|אנתרופיק")),
    rule(
        "provider",
        "open_weights",
        lat(
            r"llama|mistral|mixtral|qwen|gemma|deepseek|falcon|phi-?\d|open[-\s]?weights?|open[-\s]source\s+(?:models?|llms?)"
            r"|self[-\s]hosted|on[-\s]prem(?:ise|ises)?|hugging\s?face|vllm|ollama"
        ),
        he(r"קוד\s+פתוח|משקלים\s+פתוחים|מודל\s+מקומי|שרתים\s+שלנו|לאמה|מיסטרל"),
    ),
    rule(
        "provider",
        "undecided",
        lat(
            r"(?:haven't|have\s+not|not\s+yet)\s+(?:decided|chosen|picked)\s+(?:on\s+|which\s+|a\s+)*(?:provider|model|vendor|llm)"
            r"|undecided|not\s+sure\s+which\s+(?:provider|model|vendor|llm)|provider[-\s]agnostic"
        ),
        he(r"(?:עוד\s+|עדיין\s+)?לא\s+(?:החלטנו|בחרנו)|טרם\s+(?:החלטנו|בחרנו)"),
        negatable=False,
    ),
    rule(
        "model",
        _model_name,
        lat(
            r"gpt-?\d(?:\.\d)?o?(?:-(?:mini|nano|turbo|pro))?"
            r"|claude[-\s](?:\d(?:[.\-]\d)?[-\s])?(?:opus|sonnet|haiku)(?:[-\s]\d(?:\.\d)?)?"
            r"|gemini[-\s]?\d(?:\.\d)?[-\s](?:pro|flash-lite|flash|ultra)"
            r"|llama[-\s]?\d(?:\.\d)?(?:[-\s]\d+b)?|mistral[-\s](?:7b|large|small|medium)|qwen[-\s]?\d(?:\.\d)?(?:[-\s]\d+b)?"
            r"|gemma[-\s]?\d(?:[-\s]\d+b)?"
        ),
    ),
)

# --- Prompting so far ------------------------------------------------------------------------------------------
_PROMPTISH = r"prompt\w*|few[-\s]shot\w*|system\s+prompt|instructions"
_FAIL = (
    r"(?:was|is|were|are)(?:n't|\s+not)\s+(?:enough|sufficient|good\s+enough|reliable|accurate\s+enough|consistent\s+enough)"
    r"|not\s+(?:enough|sufficient|good\s+enough)|did(?:n't|\s+not)\s+(?:work|help|cut\s+it|get\s+there)"
    r"|does(?:n't|\s+not)\s+(?:work|help|cut\s+it)|fell\s+short|falls\s+short|failed|fails|insufficient|no\s+luck|plateau\w*"
    r"|gave\s+up|(?:still|keeps?)\s+(?:makes?|making|gets?|getting)\s+(?:mistakes|errors|it\s+wrong)"
    r"|(?:kind\s+of|sort\s+of|partly|partially|only\s+sometimes)\s+works|makes\s+(?:too\s+many\s+)?(?:mistakes|errors)"
    r"|(?:is|are)(?:n't|\s+not)\s+cutting\s+it|(?:still|keeps?)\s+(?:gets?|getting|misses|missing|makes?|making|produces?"
    r"|ignores?|drifts?|hallucinates?|sounds?|comes?\s+out|gives?|fails?|breaks?|invents?|mixes?)"
    r"|too\s+(?:generic|long|short|verbose|casual|formal|technical|vague|inconsistent|robotic|bland|wordy)"
)
# "the prompt alone still ...": a prompt that "still" does something is reported as falling short.
_STILL = r"(?:\s+(?:alone|by\s+itself|on\s+its\s+own|only))?\s+still(?![A-Za-z])"
_WORKS = (
    r"(?<!n't\s)(?<!not\s)(?:works?|worked|working)\s+(?:well|fine|great|nicely|ok|okay)"
    r"|(?:is|was|are|were)\s+good\s+enough|does\s+the\s+job"
)
_TRIED = r"(?:tried|tested|experimented\s+with|attempted|used|been\s+using)\s+(?:[\w\-]+\s+){0,3}?" + f"(?:{_PROMPTISH})"
_PROMPTISH_HE = r"פרומפט\w*|הנחי\w*|הנחיות|פרומפטינג|הוראות"
_FAIL_HE = (
    r"לא\s+(?:הספיק\w*|מספיק\w*|עבד\w*|עובד\w*|היה\s+מספיק|טוב\s+מספיק|מדויק\w*\s+מספיק|הצליח\w*|עזר\w*)|נכשל\w*"
    r"|עובד\w*\s+חלקית|עוש\w*\s+טעויות"
    r"|(?:ו)?עדיין\s+(?:מפספס\w*|טועה|טועים|מנסח\w*|מייצר\w*|ממציא\w*|לא|מתבלבל\w*|נשמע\w*|יוצא\w*|עושה|שוכח\w*|מתעלם\w*)"
    r"|(?:גנרי\w*|ארוכ\w*|קצר\w*|טכני\w*|רשמי\w*|יבש\w*|כללי\w*|מסורבל\w*)\s+מדי"
)
_STILL_HE = r"(?:\s+(?:לבד|בלבד|עצמו))?\s+(?:ו)?עדיין(?![\u05d0-\u05ea])"
_WORKS_HE = r"(?<!לא\s)(?:עובד|עובדת|עובדים|עבד|עבדה|עבדו)\s+(?:טוב|מצוין|יפה|בסדר)|(?<!לא\s)מספיק\s+טוב"
_TRIED_HE = he(r"ניסינו|ניסיתי|בדקנו|השתמשנו") + r"\s+(?:[^\s.,;:!?]+\s+){0,3}?" + he(_PROMPTISH_HE)
_TAIL = r"[^.!?\n]{0,80}?"
_AFTER = r"(?:\s+[^\s.,;:!?]+){0,3}?\s+"

PROMPTING_RULES: tuple[Rule, ...] = (
    rule(
        "prompting_status",
        "insufficient",
        lat(f"{_TRIED}{_TAIL}(?:{_FAIL})"),
        lat(f"(?:{_PROMPTISH}){_AFTER}(?:{_FAIL})"),
        lat(r"(?:tried|tested|experimented\s+with)\s+(?:[\w\-]+\s+){0,3}?" + f"(?:{_PROMPTISH})"),
        f"{_TRIED_HE}{_TAIL}(?:{_FAIL_HE})",
        he(_PROMPTISH_HE) + f"{_AFTER}(?:{_FAIL_HE})",
        he(r"ניסינו|ניסיתי") + r"\s+(?:[^\s.,;:!?]+\s+){0,3}?" + he(_PROMPTISH_HE),
        lat(f"(?:{_PROMPTISH}){_STILL}"),
        he(_PROMPTISH_HE) + _STILL_HE,
        lat(f"(?:{_PROMPTISH})") + f"{_TAIL}(?:{_FAIL})",
        he(_PROMPTISH_HE) + f"{_TAIL}(?:{_FAIL_HE})",
    ),
    rule(
        "prompting_status",
        "works",
        lat(f"{_TRIED}{_TAIL}(?:{_WORKS})"),
        lat(f"(?:{_PROMPTISH}){_AFTER}(?:{_WORKS})"),
        f"{_TRIED_HE}{_TAIL}(?:{_WORKS_HE})",
        he(_PROMPTISH_HE) + f"{_AFTER}(?:{_WORKS_HE})",
    ),
    rule(
        "prompting_status",
        "not_tried",
        lat(
            r"(?:haven't|have\s+not|didn't|did\s+not|never|not\s+yet)\s+(?:\w+\s+){0,2}?(?:tried|tested|experimented)"
            r"|not\s+tried|no\s+prompt(?:ing|s)?\s+yet|starting\s+from\s+scratch"
        ),
        he(r"(?:עוד\s+|עדיין\s+)?לא\s+ניסינו|טרם\s+ניסינו"),
        negatable=False,
    ),
)

# --- Example quality (only in a sentence about the examples) -----------------------------------------------------
_EX_CONTEXT = r"example|sample|label|annotat|dataset|data\s+set|training\s+data|pairs|tagged|דוגמ|תיוג|מתוי|מסומנ|דאטה|נתונים"

QUALITY_RULES: tuple[Rule, ...] = (
    rule(
        "example_quality",
        "unknown",
        lat(
            r"quality\s+(?:is\s+)?unknown|unknown\s+quality|(?:haven't|have\s+not|never)\s+(?:checked|reviewed|audited)\s+"
            r"(?:the\s+|their\s+)?(?:quality|them|labels)|not\s+sure\s+(?:how\s+good|about\s+the\s+quality)"
        ),
        he(r"איכות\w*\s+(?:לא\s+ידוע\w*|לא\s+ברור\w*)|לא\s+בדקנו\s+(?:את\s+)?(?:ה)?איכות"),
        negatable=False,
        context=_EX_CONTEXT,
    ),
    rule(
        "example_quality",
        "high",
        lat(
            r"high[-\s]quality|clean|carefully\s+(?:labell?ed|annotated|reviewed|curated|checked)|(?:expert|human)[-\s]"
            r"(?:labell?ed|reviewed|verified|annotated)|reviewed\s+by\s+(?:experts|humans|our\s+\w+|lawyers|doctors|agents)"
            r"|consistent(?:ly\s+labell?ed)?|gold(?:[-\s]standard)?|verified|accurate|well[-\s]labell?ed|double[-\s]checked"
        ),
        he(r"איכות\w*\s+גבוה\w*|נקי\w*|מדויק\w*|עקבי\w*|נבדק\w*|מאומת\w*|בדוק\w*|איכותי\w*"),
        context=_EX_CONTEXT,
    ),
    rule(
        "example_quality",
        "mixed",
        lat(
            r"mixed(?:\s+quality)?|(?:some|a\s+few|several)\s+(?:of\s+them\s+|labels\s+|examples\s+)?(?:are|were)\s+"
            r"(?:wrong|incorrect|mislabell?ed|noisy|off|bad)|varying\s+quality|uneven|hit[-\s]and[-\s]miss"
            r"|somewhat\s+(?:noisy|inconsistent|messy)|(?:mostly|fairly|reasonably)\s+(?:good|clean|ok|okay|consistent|accurate)"
        ),
        he(r"איכות\w*\s+(?:מעורב\w*|משתנה)|חלק\w*\s+(?:מ\S+\s+)?(?:שגוי\w*|לא\s+נכונ\w*|רועש\w*)|לא\s+אחיד\w*|בינוני\w*"),
        negatable=False,
        context=_EX_CONTEXT,
    ),
    rule(
        "example_quality",
        "low",
        lat(
            r"noisy|messy|low[-\s]quality|poor(?:ly\s+labell?ed)?|inconsistent|unreliable|(?:lots|full)\s+of\s+(?:errors|mistakes)"
            r"|many\s+(?:errors|mistakes|mislabels)|mislabell?ed|dirty"
        ),
        he(r"רועש\w*|מלוכלכ\w*|איכות\w*\s+נמוכ\w*|לא\s+עקבי\w*|מבולג\w*|הרבה\s+טעויות|שגוי\w*|לא\s+אמינ\w*"),
        negatable=False,
        context=_EX_CONTEXT,
    ),
)
