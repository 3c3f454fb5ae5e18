"""The LLM extractor: the same draft as the rules, from a provider's structured output, checked before use.

The model returns, per Profile field, either null or ``{"value", "quote"}``. A quote must be words
of the text itself; one that is not (a paraphrase or an invention) loses its field, with a note,
because a value nobody wrote is what the questionnaire exists to ask. Values go through Profile's
own validation. Any provider failure returns the rule-based draft with a note, never an error.
"""

from __future__ import annotations

import datetime as dt
import logging
from functools import lru_cache
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError

from rules.facts import PROFILE_FIELDS, Profile
from service.errors import AdvisorError
from service.intake.drafting import build_draft, detect_lang, extract_rules, missing
from service.intake.matching import Hit
from service.intake.schemas import IntakeResult
from service.intake.task import task_span

log = logging.getLogger("service.intake")

_QUOTE_MARKS = "\"'“”„«»‘’`"


class ExtractionClient(Protocol):
    """What the intake needs from a provider: JSON matching ``schema`` for ``text`` (see service/providers/extraction.py)."""

    name: str

    def extract(self, *, system: str, text: str, schema: dict[str, Any]) -> dict[str, Any]: ...


class _Fact(BaseModel):
    model_config = ConfigDict(extra="forbid")

    value: Any
    quote: str


class _Output(BaseModel):
    model_config = ConfigDict(extra="ignore")

    facts: dict[str, _Fact | None]


@lru_cache(maxsize=1)
def output_schema() -> dict[str, Any]:
    """A strict JSON schema: every Profile field present, each null or a typed value with its quote."""
    fields = Profile.model_json_schema()["properties"]
    properties = {
        name: {
            "anyOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "properties": {"value": _value_schema(fields[name]), "quote": {"type": "string"}},
                    "required": ["value", "quote"],
                    "additionalProperties": False,
                },
            ]
        }
        for name in PROFILE_FIELDS
    }
    return {"type": "object", "properties": properties, "required": list(PROFILE_FIELDS), "additionalProperties": False}


def _value_schema(field: dict[str, Any]) -> dict[str, Any]:
    # Only keywords every structured-output mode accepts; Profile checks lengths and minimums afterwards.
    branch = next((b for b in field.get("anyOf", [field]) if b.get("type") != "null"), field)
    schema: dict[str, Any] = {"type": branch["type"]}
    if "enum" in field or "enum" in branch:
        schema["enum"] = list(field.get("enum") or branch["enum"])
    return schema


def system_prompt() -> str:
    """The instructions: one line per field, from the Profile's own descriptions."""
    lines = [
        "You read a team's description of an LLM use case and fill in what it states, nothing more.",
        "For each field: null unless the text states it. Otherwise the value, and in quote the exact words of the text",
        "it comes from, copied character for character in the text's language (no translation, no paraphrase).",
        "A negation counts: 'no JSON needed' gives strict_format false. Counts are integers (\"2k\" is 2000;",
        "a rate per month or hour is converted to per day).",
        "Fields:",
    ]
    for name, info in Profile.model_fields.items():
        lines.append(f"- {name}: {info.description}")
    return "\n".join(lines)


def locate(text: str, quote: str) -> tuple[int, int] | None:
    """Where the quote sits in the text, allowing only stray quote marks or spaces around it."""
    for candidate in (quote, quote.strip(), quote.strip().strip(_QUOTE_MARKS).strip()):
        if candidate:
            start = text.find(candidate)
            if start >= 0:
                return start, start + len(candidate)
    return None


def extract_llm(text: str, lang: str | None, client: ExtractionClient, today: dt.date | None = None) -> IntakeResult:
    """The provider's extraction, verified; the rule-based draft (with a note) when the provider fails."""
    try:
        output = _Output.model_validate({"facts": client.extract(system=system_prompt(), text=text, schema=output_schema())})
    except AdvisorError as exc:
        return _fallback(text, lang, client.name, exc.code, today)
    except ValidationError:
        return _fallback(text, lang, client.name, "malformed_output", today)
    except Exception as exc:  # an SDK surprise must not become a 500; only its type is logged, never its text
        return _fallback(text, lang, client.name, type(exc).__name__, today)
    hits, notes = _hits(text, output.facts)
    profile, evidence, dropped = build_draft(text, hits)
    language = lang if lang in ("en", "he") else detect_lang(text)
    return IntakeResult(
        lang=language, profile=profile, evidence=evidence, missing=missing(profile, today), source="llm", notes=notes + dropped
    )


def _hits(text: str, facts: dict[str, _Fact | None]) -> tuple[list[Hit], list[str]]:
    hits: list[Hit] = []
    notes: list[str] = []
    for field, fact in facts.items():
        if fact is None or field not in Profile.model_fields:
            continue
        span = locate(text, fact.quote)
        if span is None:
            notes.append(f"Dropped {field}: the model's quote is not in the text, so the value is unsupported.")
            continue
        hits.append(Hit(field, fact.value, *span))
    if not any(hit.field == "task" for hit in hits):
        task = task_span(text)
        if task is not None:
            hits.append(Hit("task", text[task[0] : task[1]], *task))
    return hits, notes


def _fallback(text: str, lang: str | None, provider: str, code: str, today: dt.date | None) -> IntakeResult:
    log.warning("intake: %s extraction failed (%s); using the rule-based extractor", provider, code)
    result = extract_rules(text, lang, today)
    result.notes.append(f"The {provider} extraction failed ({code}); this draft comes from the rule-based extractor.")
    return result
