"""Turn a run of the rules into what people read, in their language: reasons, flags, steps, assumptions, costs, where to tune."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from string import Formatter
from typing import Any

from knowledge.loader import Catalog
from rules.bounded import Bounded
from rules.context import SAVING_INPUTS, context_for
from rules.derived import DERIVED_BY_NAME
from rules.facts import Lang, Profile, Strategy
from rules.feasibility import NO_END
from rules.loading import CompiledRule, RuleSet, atoms
from rules.model import Assumption, Flag, Reason, Text, TuningPlan
from rules.texts import LocalizedFacts, label, phrase, value_text

LEVERS: dict[Strategy, frozenset[str]] = {
    "prompting": frozenset({"prompting"}),
    "rag": frozenset({"rag"}),
    "fine_tuning": frozenset({"fine_tuning"}),
    "rag_and_fine_tuning": frozenset({"rag", "fine_tuning"}),
}


# A text renders the same for the same values of the facts it names: kept per (template, those values and their types).
RENDER_CACHE_LIMIT = 1024
KEPT_MODELS_LIMIT = 2048  # reasons and assumptions: whole models, so fewer
_PLACEHOLDERS: dict[str, tuple[str, ...] | None] = {}
_RENDERED: Bounded[tuple[Any, ...], str] = Bounded(RENDER_CACHE_LIMIT)
_ABSENT = object()


def placeholders(template: str) -> tuple[str, ...] | None:
    """The fact names ``template`` reads, or None when it reads more than plain names (not kept)."""
    if template not in _PLACEHOLDERS:
        names = [name for _, name, spec, conversion in Formatter().parse(template) if name is not None]
        plain = all(name.isidentifier() for name in names)
        specs = all(not spec and not conversion for _, name, spec, conversion in Formatter().parse(template) if name)
        _PLACEHOLDERS[template] = tuple(dict.fromkeys(names)) if plain and specs else None
    return _PLACEHOLDERS[template]


def render(text: Text, shown: LocalizedFacts, lang: Lang) -> str:
    template = text(lang)
    names = placeholders(template)
    if names is None:
        return template.format_map(shown).strip()
    facts = shown.facts
    # The type's name (1, 1.0 and True render differently), not the type: a key of atoms only, which the garbage
    # collector stops tracking.
    key = (template, lang, *((type(value).__name__, value) for value in (facts.get(name, _ABSENT) for name in names)))
    found = _RENDERED.get(key)
    if found is None:
        found = _RENDERED.put(key, template.format_map(shown).strip())
    return found


def reasons(
    fired: Iterable[CompiledRule], shown: LocalizedFacts, strategy: Strategy, unanswered: frozenset[str], lang: Lang
) -> tuple[list[Reason], list[Reason]]:
    """(reasons that support the verdict, reasons that were outweighed by it)."""
    facts = shown.facts
    kept: list[Reason] = []
    outweighed: list[Reason] = []
    for item in fired:
        rule = item.rule
        assumed = [f"{label(name, lang)}: {value_text(name, facts[name], lang)}" for name in rule.asserts if name in unanswered]
        because = render(rule.because, shown, lang)
        if assumed:
            because += phrase("reason_assumes", lang, labels=", ".join(assumed))
        reason = _reason(rule.id, rule.title(lang), because, rule.guide, rule.stage, tuple(assumed))
        (kept if rule.agrees_with(LEVERS[strategy]) else outweighed).append(reason)
    return kept, outweighed


_REASONS: Bounded[tuple[str, ...], Reason] = Bounded(KEPT_MODELS_LIMIT)


def _reason(rule: str, title: str, because: str, guide: str, stage: str, assumed: tuple[str, ...]) -> Reason:
    """A reason, kept by everything it holds (the same rule fired on the same facts reads the same)."""
    key = (rule, title, because, guide, stage, *assumed)
    found = _REASONS.get(key)
    if found is None:
        found = _REASONS.put(
            key, Reason(rule=rule, title=title, because=because, guide=guide, stage=stage, assumed=list(assumed))
        )
    return found


def flags(fired: Iterable[CompiledRule], shown: LocalizedFacts, lang: Lang) -> list[Flag]:
    return [
        Flag(code=item.rule.then.flag.code, message=render(item.rule.then.flag.message, shown, lang), rule=item.rule.id)
        for item in fired
        if item.rule.then.flag is not None
    ]


def next_steps(fired: Iterable[CompiledRule], shown: LocalizedFacts, lang: Lang) -> list[str]:
    steps = sorted(
        (step.order, index, render(step.text, shown, lang))
        for index, item in enumerate(fired)
        for step in item.rule.then.next_steps
    )
    return list(dict.fromkeys(text for _, _, text in steps))


_READ: dict[str, tuple[str, ...]] = {}


def fields_read(rules: RuleSet) -> tuple[str, ...]:
    """Profile fields any rule reads, directly or through a derived fact (once per rules version)."""
    if rules.version in _READ:
        return _READ[rules.version]
    read: set[str] = set()
    for item in rules.rules:
        for fact, _ in atoms(item.rule.when):
            derived = DERIVED_BY_NAME.get(fact)
            read |= set(derived.inputs) if derived else {fact}
    _READ[rules.version] = found = tuple(name for name in Profile.model_fields if name in read)
    return found


def assumptions(
    values: dict[str, Any], unanswered: frozenset[str], rules: RuleSet, with_economics: bool, lang: Lang
) -> list[Assumption]:
    """Every unanswered field the verdict depends on, with the default it used."""
    relevant = set(fields_read(rules)) | (set(SAVING_INPUTS) if with_economics else set())
    return [
        _assumption(name, values[name], lang)
        for name in Profile.model_fields
        if name in relevant and name in unanswered and name != "model"
    ]


_ASSUMPTIONS: Bounded[tuple[str, str, Any, Lang], Assumption] = Bounded(KEPT_MODELS_LIMIT)


def _assumption(name: str, value: Any, lang: Lang) -> Assumption:
    """One assumed default as people read it (kept: a field's default reads the same in every verdict)."""
    key = (name, type(value).__name__, value, lang)
    found = _ASSUMPTIONS.get(key)
    if found is None:
        found = _ASSUMPTIONS.put(
            key,
            Assumption(
                field=name,
                label=label(name, lang),
                value=value,
                text=phrase("assumed", lang, label=label(name, lang), value=value_text(name, value, lang)),
            ),
        )
    return found


_PLAN: dict[str, Text] = {
    "chosen": Text(en="Tune on {provider}, model {model}.", he="כווננו ב-{provider}, במודל {model}."),
    "undecided": Text(
        en="Tune on {provider}, model {model}: it accepts tuning jobs today and its tuned models keep serving.",
        he="כווננו ב-{provider}, במודל {model}: הוא מקבל היום עבודות כוונון והמודלים המכווננים שלו ממשיכים לעבוד.",
    ),
    "own_infrastructure": Text(
        en="The data must stay on your own infrastructure: tune an open-weight model you host, {model}.",
        he="הנתונים חייבים להישאר בתשתית שלכם: כווננו מודל עם משקולות פתוחות שאתם מארחים, {model}.",
    ),
    "cannot_tune": Text(
        en="{chosen} offers no fine-tuning you can start today; tune on {provider} instead, model {model}.",
        he="{chosen} אינו מציע כוונון שאפשר להתחיל היום; כווננו במקום זאת ב-{provider}, במודל {model}.",
    ),
    "organisation": Text(
        en="{chosen} has closed fine-tuning to organisations that have not used it lately, and what it can still tune stops "
        "serving within {days} days; tune on {provider} instead, model {model}.",
        he="{chosen} סגר את הכוונון לארגונים שלא השתמשו בו לאחרונה, ומה שעוד אפשר לכוונן בו יפסיק לעבוד תוך {days} ימים; "
        "כווננו במקום זאת ב-{provider}, במודל {model}.",
    ),
    "window_closing": Text(
        en="{chosen}'s tuning or its tuned models end in {days} days, too soon to be worth a run; "
        "tune on {provider}, model {model}.",
        he="הכוונון ב-{chosen} או המודלים המכווננים שלו מסתיימים בעוד {days} ימים, מוקדם מדי כדי שריצה תשתלם; "
        "כווננו ב-{provider}, במודל {model}.",
    ),
}
_STEPS: tuple[Text, ...] = (
    Text(
        en="Convert the examples to {format}: advisor data convert FILE --to {format} (10% are kept aside for validation).",
        he="המירו את הדוגמאות לפורמט {format}: advisor data convert FILE --to {format} (10% נשמרים בצד לבדיקה).",
    ),
    Text(
        en="Take the tuning-job spec for {provider} from this advice's artifact, and run its script.",
        he="קחו את מפרט עבודת הכוונון עבור {provider} מהתוצר של ההמלצה, והריצו את הסקריפט שלו.",
    ),
)
_COMPARE = Text(
    en="Compare the tuned model with today's prompt on {chosen} on your evaluation set before moving any traffic.",
    he="השוו את המודל המכוונן להנחיה של היום ב-{chosen} על סט ההערכה שלכם לפני שמעבירים תנועה.",
)


def tuning_plan(facts: dict[str, Any], catalog: Catalog, today: dt.date, lang: Lang) -> TuningPlan:
    target = context_for(catalog, today).bundle(facts).target
    provider = value_text("provider", target.provider, lang)
    entry = catalog.providers[target.provider]
    fields = {
        "provider": provider,
        "model": target.model or "—",
        "chosen": value_text("provider", facts["provider"], lang),
        "days": target.days_left,
        "format": entry.fine_tuning.formats[0] if entry.fine_tuning.formats else "jsonl",
    }
    steps = [text(lang).format(**fields) for text in _STEPS]
    if target.elsewhere:
        steps.append(_COMPARE(lang).format(**fields))
    return TuningPlan(
        provider=target.provider,
        model=target.model,
        elsewhere=target.elsewhere,
        reason=target.reason,
        days_left=target.days_left if 0 < target.days_left < NO_END else None,
        summary=_PLAN[target.reason](lang).format(**fields),
        steps=steps,
    )
