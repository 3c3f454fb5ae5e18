"""Free text -> a draft Profile with the words each fact came from, and the questions still to ask.

Two extractors share one result type. The rule-based one is the default: offline, fast, and every
value it reports is backed by a span of the text. With a provider key (``ADVISOR_INTAKE_PROVIDER``)
an LLM fills the same fields through ``service.providers``; its quotes are checked against the
text, and any provider failure falls back to the rules with a note, never an error.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pydantic import ValidationError

from rules.cost_questions import cost_questions, tuning_questions
from rules.facts import Profile
from rules.reachability import open_questions
from service.config import Settings
from service.errors import ValidationFailed
from service.intake.changes import CHANGE_RULES
from service.intake.choices import PROMPTING_RULES, PROVIDER_RULES, QUALITY_RULES
from service.intake.deployment import DEPLOYMENT_RULES
from service.intake.lexicon import COUNT_RULES, FACT_RULES
from service.intake.matching import HEBREW_LETTER, LATIN_LETTER, Hit, first_per_field, run_rules
from service.intake.schemas import MAX_TEXT_CHARS, Evidence, IntakeResult, Lang
from service.intake.sizes import size_hits
from service.intake.task import task_span
from service.questionnaire.questions import field_order, questions

ClientFactory = Callable[[str], Any]


def check_text(text: str) -> None:
    """The limits every caller shares: something to read, and not more than a description's worth."""
    if not text.strip():
        raise ValidationFailed("Describe the use case in a sentence or more; the text is empty.", code="empty_text", field="text")
    if len(text) > MAX_TEXT_CHARS:
        raise ValidationFailed(
            f"The text has {len(text)} characters; send at most {MAX_TEXT_CHARS} (a short description, not documents).",
            code="text_too_long",
            field="text",
        )


def detect_lang(text: str) -> Lang:
    """Hebrew when Hebrew letters are at least as many as Latin ones (Hebrew texts quote "JSON", "GPT")."""
    hebrew = len(HEBREW_LETTER.findall(text))
    return "he" if hebrew and hebrew >= len(LATIN_LETTER.findall(text)) else "en"


def extract_rules(text: str, lang: str | None = None, today: dt.date | None = None) -> IntakeResult:
    """The rule-based extractor: pure, offline, English and Hebrew patterns over the same text.

    ``today`` only dates the plan of questions still to ask (which providers can tune that day).
    """
    language: Lang = "he" if lang == "he" else "en" if lang == "en" else detect_lang(text)
    chosen = _implied(first_per_field(rule_hits(text)))
    task = task_span(text)
    if task is not None:
        chosen["task"] = Hit("task", text[task[0] : task[1]], *task)
    profile, evidence, notes = build_draft(text, chosen.values())
    return IntakeResult(
        lang=language, profile=profile, evidence=evidence, missing=missing(profile, today), source="rules", notes=notes
    )


def rule_hits(text: str) -> list[Hit]:
    """Every rule hit; a traffic count claims its words first ("requests daily" is not "changes daily")."""
    counts = run_rules(text, COUNT_RULES)
    traffic = [(hit.start, hit.end) for hit in counts if hit.field == "requests_per_day"]
    changes = run_rules(text, CHANGE_RULES, claimed=traffic)
    others = run_rules(text, FACT_RULES + PROVIDER_RULES + PROMPTING_RULES + QUALITY_RULES + DEPLOYMENT_RULES)
    return counts + changes + others + size_hits(text)


def _implied(chosen: dict[str, Hit]) -> dict[str, Hit]:
    # Facts that change on a schedule are facts the model cannot have learned: "the docs change every week".
    change = chosen.get("knowledge_change")
    if change is not None and change.value != "static" and "needs_external_knowledge" not in chosen:
        chosen["needs_external_knowledge"] = Hit("needs_external_knowledge", True, change.start, change.end)
    # Reference material of some size ("the whole wiki", "fits in a few pages") is material the model must be given.
    size = chosen.get("knowledge_size")
    if size is not None and size.value in ("small", "large") and "needs_external_knowledge" not in chosen:
        chosen["needs_external_knowledge"] = Hit("needs_external_knowledge", True, size.start, size.end)
    return chosen


def build_draft(text: str, hits: Any) -> tuple[dict[str, Any], list[Evidence], list[str]]:
    """Profile values and evidence from hits, keeping only values Profile accepts (a note for each one dropped)."""
    profile: dict[str, Any] = {}
    evidence: list[Evidence] = []
    notes: list[str] = []
    for hit in sorted(hits, key=lambda h: (h.start, h.field)):
        if not _valid(hit.field, hit.value):
            notes.append(f"Dropped {hit.field}={hit.value!r}: not a value the profile accepts.")
            continue
        profile[hit.field] = hit.value
        evidence.append(Evidence(field=hit.field, value=hit.value, text=text[hit.start : hit.end], start=hit.start, end=hit.end))
    return profile, evidence, notes


def _valid(field: str, value: Any) -> bool:
    if field not in Profile.model_fields:
        return False
    try:
        Profile.model_validate({"task": "draft", field: value})
    except ValidationError:
        return False
    return True


@lru_cache(maxsize=1)
def ask_order() -> tuple[str, ...]:
    """Question ids in the questionnaire's order, without the optional ones (one order for both ways in)."""
    return tuple(q.id for q in questions("en") if not q.optional)


def missing(profile: dict[str, Any], today: dt.date | None = None) -> list[str]:
    """The questions the questionnaire would still ask after the draft's answers, in its order.

    The same plan as a session prefilled with the draft: only questions whose answer can still change the
    strategy (``rules.reachability``; "how often do the facts change" is moot once no outside facts are
    needed), then, once the strategy is settled, where to tune and the cost numbers that move the figures.
    """
    day = today or dt.date.today()
    answers = {name: value for name, value in profile.items() if name in Profile.model_fields}
    order = field_order()
    plan = open_questions(answers, order, day)
    still = plan.open
    if not still and plan.strategy is not None:
        still = tuning_questions(answers, order, plan.strategy, day) or cost_questions(answers, order, plan.strategy, day)
    first = ["task"] if "task" not in profile else []
    return first + [name for name in ask_order() if name in still]


def extract(
    text: str,
    lang: str | None,
    settings: Settings,
    client_factory: ClientFactory | None = None,
    today: dt.date | None = None,
) -> IntakeResult:
    """An LLM extraction when one is configured and keyed, else the rules; always a result for valid text."""
    check_text(text)
    provider, reason = llm_provider(settings)
    if provider is None:
        result = extract_rules(text, lang, today)
        if reason:
            result.notes.append(reason)
        return result
    from service.intake.llm import extract_llm

    if client_factory is None:
        from service.providers.extraction import extraction_clients

        # The API passes the app's clock through its factory; this path (Slack) picks models as of the call.
        client_factory = extraction_clients(settings, dt.date.today)
    client = client_factory(provider)
    if client is None:
        result = extract_rules(text, lang, today)
        result.notes.append(f"No {provider} client is configured; used the rule-based extractor.")
        return result
    return extract_llm(text, lang, client, today)


_KEY_NAMES = {"openai": "OPENAI_API_KEY", "anthropic": "ANTHROPIC_API_KEY"}


def llm_provider(settings: Settings) -> tuple[str | None, str | None]:
    """Which LLM extracts (None: the rules), and a note when a requested one has no key."""
    keys = {"openai": settings.openai_api_key, "anthropic": settings.anthropic_api_key}
    choice = settings.intake_provider
    if choice == "rules":
        return None, None
    if choice == "auto":
        return next((name for name, key in keys.items() if key is not None), None), None
    if keys[choice] is None:
        return None, f"ADVISOR_INTAKE_PROVIDER is {choice} but {_KEY_NAMES[choice]} is not set; used the rule-based extractor."
    return choice, None
