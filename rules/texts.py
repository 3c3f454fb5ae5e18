"""People-facing words the engine composes (the rules' own texts live in their files): English and Hebrew.

Field names never reach people: a field is shown by its label and a value by its choice label, both from
``rules/questions.yaml``. Numbers keep their digits left-to-right inside Hebrew text (the page and Slack
isolate them); the wording here never relies on an arrow's direction.
"""

from __future__ import annotations

from typing import Any

from rules.facts import Lang, Strategy, field_texts

STRATEGY_NAMES: dict[Strategy, dict[Lang, str]] = {
    "prompting": {"en": "Prompting", "he": "הנחיות (פרומפטים)"},
    "rag": {"en": "RAG (retrieval)", "he": "אחזור (RAG)"},
    "fine_tuning": {"en": "Fine-tuning", "he": "כוונון עדין"},
    "rag_and_fine_tuning": {"en": "RAG + fine-tuning", "he": "אחזור (RAG) + כוונון עדין"},
}
# An experiment's candidates as people name them (rules/measured.py).
CANDIDATE_NAMES: dict[str, dict[Lang, str]] = {
    "zero_shot": {"en": "zero-shot", "he": "ללא דוגמאות (zero-shot)"},
    "few_shot": {"en": "few-shot", "he": "עם דוגמאות (few-shot)"},
    "grounded": {"en": "grounded", "he": "מעוגן במסמכים (grounded)"},
}
YES_NO: dict[Lang, tuple[str, str]] = {"en": ("yes", "no"), "he": ("כן", "לא")}

PHRASES: dict[str, dict[Lang, str]] = {
    "whatif": {"en": "{changes}, the advisor would recommend {strategy}.", "he": "{changes}, ההמלצה הייתה: {strategy}."},
    "whatif_none": {
        "en": "No change of one or two answers that you could make would lead to {strategy}.",
        "he": "אין שינוי של תשובה אחת או שתיים שביכולתכם לעשות שיוביל ל{strategy}.",
    },
    "and": {"en": " and ", "he": " וגם "},
    "assumed": {"en": "{label}: {value} (assumed, not answered)", "he": "{label}: {value} (הנחה, לא נענה)"},
    "reason_assumes": {"en": " (This assumes: {labels}.)", "he": " (בהנחה ש: {labels}.)"},
    "eco_month": {"en": "{days} days a month", "he": "{days} ימים בחודש"},
    "eco_cache": {
        "en": "prompt caching: {share:.0%} of requests reuse the cached instruction block at the cached-input price",
        "he": "מטמון הנחיות: {share:.0%} מהבקשות משתמשות בבלוק ההוראות השמור במחיר קלט-מטמון",
    },
    "eco_no_cache": {
        "en": "no prompt caching counted (the block is under {min} tokens or the model has no cached price)",
        "he": "לא נספר מטמון הנחיות (הבלוק קצר מ-{min} אסימונים או שלמודל אין מחיר מטמון)",
    },
    "eco_tuned_block": {
        "en": "a tuned model keeps {fraction:.0%} of today's block (at least {floor} tokens) and pays its rate on every token",
        "he": "מודל מכוונן שומר {fraction:.0%} מהבלוק של היום, לפחות {floor} אסימונים, ומשלם את התעריף המכוונן על כל אסימון",
    },
    "eco_training": {
        "en": "training: {tokens} tokens per example × {epochs} epochs until real data is validated",
        "he": "אימון: {tokens} אסימונים לדוגמה × {epochs} מחזורים עד שהנתונים האמיתיים ייבדקו",
    },
    "eco_no_examples": {"en": "no examples yet, so no training cost", "he": "אין עדיין דוגמאות, ולכן אין עלות אימון"},
    "eco_no_training_price": {
        "en": "the catalog has no training price for {model}, so the training cost is unknown",
        "he": "בקטלוג אין מחיר אימון עבור {model}, ולכן עלות האימון אינה ידועה",
    },
    "eco_no_price": {"en": "{model} has no price in the catalog", "he": "ל-{model} אין מחיר בקטלוג"},
    "eco_tuned_at_base": {
        "en": "tuned {model} priced at its base rates, as Vertex AI prices its tuned Gemini models",
        "he": "{model} המכוונן מתומחר בתעריפי הבסיס, כפי ש-Vertex AI מתמחר מודלי Gemini מכווננים",
    },
    "eco_gpu": {
        "en": "self-hosted {model}: GPU-hours at the catalog's rate, at least one GPU all month, about {tps} tokens a second",
        "he": "{model} באירוח עצמי: שעות GPU לפי תעריף הקטלוג, לפחות GPU אחד כל החודש, כ-{tps} אסימונים בשנייה",
    },
    "eco_elsewhere": {
        "en": "the tuned model runs on {provider}, where tuning is possible; today's cost stays on {today}",
        "he": "המודל המכוונן רץ ב-{provider}, שבו אפשר לכוונן; העלות של היום נשארת ב-{today}",
    },
    "eco_implausible": {
        "en": "these figures are implausibly large: check the requests a day and the token counts",
        "he": "הסכומים גדולים באופן לא סביר: בדקו את מספר הבקשות ביום ואת מספרי האסימונים",
    },
    "eco_costs_more": {
        "en": "counted on every token, the tuned model would cost more a month than today's prompt",
        "he": "כשסופרים כל אסימון, המודל המכוונן יעלה בחודש יותר מההנחיה של היום",
    },
    # A measured experiment (rules/measured.py).
    "measured_title": {"en": "Measured on your evaluation set", "he": "נמדד על סט ההערכה שלכם"},
    "measured_measured": {"en": "measured: {scores}", "he": "נמדד: {scores}"},
    "measured_versus": {"en": " vs ", "he": " לעומת "},
    "measured_target": {
        "en": "The target accuracy is {target:.2f}{default}.",
        "he": "דיוק היעד הוא {target:.2f}{default}.",
    },
    "measured_default": {
        "en": " (the default; send target_accuracy to change it)",
        "he": " (ברירת המחדל; שלחו target_accuracy כדי לשנות)",
    },
    "measured_works": {
        "en": "Prompting reaches it: even the low end of {best}'s 95% interval is at or above the target.",
        "he": "ההנחיות עומדות ביעד: גם הקצה התחתון של רווח הסמך 95% של {best} נמצא ביעד או מעליו.",
    },
    "measured_insufficient": {
        "en": "Prompting falls short: even the high end of every prompting candidate's 95% interval is below the target.",
        "he": "ההנחיות אינן מספיקות: גם הקצה העליון של רווח הסמך 95% של כל מועמד הנחיות נמוך מהיעד.",
    },
    "measured_inconclusive": {
        "en": "The measurement is inconclusive: the interval straddles the target, so the stated answer stands.",
        "he": "המדידה אינה חד-משמעית: רווח הסמך חוצה את היעד, ולכן התשובה שנמסרה נשארת.",
    },
    "measured_step_works": {
        "en": "Ship {best}: it meets the target. Re-run the experiment on every prompt or model change.",
        "he": "העלו את {best} לשימוש: הוא עומד ביעד. הריצו את הניסוי מחדש בכל שינוי בהנחיה או במודל.",
    },
    "measured_step_insufficient": {
        "en": "Prompting falls short on every candidate tried: take the grounded or tuned candidate whose interval "
        "reaches the target, or collect more examples and tune again.",
        "he": "ההנחיות אינן מספיקות בכל המועמדים שנוסו: בחרו במועמד המעוגן או המכוונן שרווח הסמך שלו מגיע ליעד, "
        "או אספו עוד דוגמאות וכווננו שוב.",
    },
    "measured_step_try_few_shot": {
        "en": "Try few-shot next: build a prompt from your examples and measure it on the same set; if it still falls "
        "short, a grounded prompt (knowledge_base) or a tuned model.",
        "he": "נסו עכשיו הנחיה עם דוגמאות (few-shot): בנו הנחיה מהדוגמאות שלכם ומדדו אותה על אותו סט; אם גם היא "
        "לא מספיקה, הנחיה מעוגנת במסמכים (knowledge_base) או מודל מכוונן.",
    },
    "measured_step_try_grounded": {
        "en": "Even with examples prompting falls short: pilot a grounded prompt (knowledge_base) if the answers need "
        "your documents, or a tuned model if it is the behaviour that is wrong, on the same set.",
        "he": "גם עם דוגמאות ההנחיות אינן מספיקות: נסו על אותו סט הנחיה מעוגנת במסמכים (knowledge_base) אם התשובות "
        "דורשות את המסמכים שלכם, או מודל מכוונן אם ההתנהגות היא שאינה נכונה.",
    },
    "measured_step_try_tuning": {
        "en": "Prompting and retrieval fall short: tune a model on your examples and pilot it on the same set "
        "(a tuned_model candidate) before you switch.",
        "he": "הנחיות ואחזור אינם מספיקים: כווננו מודל על הדוגמאות שלכם ונסו אותו על אותו סט (מועמד tuned_model) "
        "לפני שאתם עוברים אליו.",
    },
    "measured_step_inconclusive": {
        "en": "Add items to the evaluation set: with {n} items the interval is too wide to decide.",
        "he": "הוסיפו פריטים לסט ההערכה: עם {n} פריטים רווח הסמך רחב מכדי להכריע.",
    },
}


def phrase(name: str, lang: Lang, **values: Any) -> str:
    return PHRASES[name][lang].format(**values)


def strategy_name(strategy: str, lang: Lang) -> str:
    names = STRATEGY_NAMES.get(strategy)  # type: ignore[call-overload]
    return names[lang] if names else strategy


def label(field: str, lang: Lang) -> str:
    """The field as people name it."""
    text: str = field_texts()[field]["label"][lang]
    return text


def number(value: int | float, lang: Lang) -> str:
    return f"{value:,}" if isinstance(value, int) else f"{value:,.2f}"


def value_text(field: str, value: Any, lang: Lang) -> str:
    """A field's value as people read it: a choice's label, yes/no, a grouped number, or the text itself."""
    item = field_texts()[field]
    if isinstance(value, bool):
        return YES_NO[lang][0 if value else 1]
    if "choices" in item and value in item["choices"]:
        choice: str = item["choices"][value][lang]
        return choice
    if isinstance(value, int | float):
        return number(value, lang)
    return "—" if value is None else str(value)


def change_text(field: str, value: Any, lang: Lang) -> str:
    """How "with this field at this value" reads in a what-if."""
    changes = field_texts()[field].get("changes", {})
    key = str(value).lower() if isinstance(value, bool) else value
    if key in changes:
        text: str = changes[key][lang]
        return text
    if "any" in changes:
        shown = number(value, lang) if isinstance(value, int | float) and not isinstance(value, bool) else value
        any_text: str = changes["any"][lang]
        return any_text.format(value=shown)
    return f"{label(field, lang)}: {value_text(field, value, lang)}"


class LocalizedFacts(dict[str, Any]):
    """Facts as a rule's text shows them, localized when a text asks for them (``str.format_map`` reads only the
    placeholders a text uses): choices by their labels, numbers grouped, the tuning provider by its label; an
    unknown placeholder stays as written."""

    def __init__(self, facts: dict[str, Any], lang: Lang) -> None:
        super().__init__()
        self.facts, self.lang = facts, lang

    def __missing__(self, name: str) -> Any:
        if name not in self.facts:
            return "{" + name + "}"
        value = self.facts[name]
        texts = field_texts()
        if name == "tuning_provider" and isinstance(value, str):
            shown: Any = value_text("provider", value, self.lang)
        elif name == "monthly_saving_usd" and isinstance(value, int | float):
            shown = number(round(float(value)), self.lang)
        elif name in texts and ("choices" in texts[name] or (isinstance(value, int) and not isinstance(value, bool))):
            shown = value_text(name, value, self.lang)
        else:
            shown = value
        self[name] = shown
        return shown


def localized_facts(facts: dict[str, Any], lang: Lang) -> LocalizedFacts:
    """The facts, localized on demand for one language (see ``LocalizedFacts``)."""
    return LocalizedFacts(facts, lang)
