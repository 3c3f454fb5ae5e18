"""The questions, generated from the Profile's field metadata: one field, one question.

``rules.facts.Profile`` is the single source: each field's ``json_schema_extra`` carries its
question (en/he), help text, guide anchor and, for choice fields, a label per value. Adding a
field to the profile adds a question here with no other edit (it is asked after the known ones).
"""

from __future__ import annotations

import types
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, ConfigDict, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from knowledge.loader import default_guide
from rules.facts import Profile
from service.errors import ValidationFailed

Lang = Literal["en", "he"]
QuestionType = Literal["choice", "number", "yes_no", "text"]

# Most decisive first: what the model must know, then the data, then whether prompting was tried,
# then how it must behave; provider and economics last, since they rarely move the strategy alone.
ORDER: tuple[str, ...] = (
    "task",
    "needs_external_knowledge",
    "knowledge_size",
    "knowledge_change",
    "live_data",
    "prompting_status",
    "examples",
    "example_quality",
    "custom_style",
    "strict_format",
    "domain_language",
    "narrow_task",
    "personalization",
    "own_infrastructure",
    "provider",
    "openai_can_tune",
    "latency_sensitive",
    "prompt_tokens",
    "requests_per_day",
    "input_tokens",
    "output_tokens",
    "has_eval_set",
    "model",
)
YES_NO = {"en": ("Yes", "No"), "he": ("כן", "לא")}


class Choice(BaseModel):
    model_config = ConfigDict(frozen=True)

    value: str | bool
    label: str


class GuideLink(BaseModel):
    model_config = ConfigDict(frozen=True)

    anchor: str
    title: str
    url: str


class Question(BaseModel):
    """One profile field as a question in one language."""

    model_config = ConfigDict(frozen=True)

    id: str
    type: QuestionType
    text: str
    help: str
    guide: GuideLink
    choices: list[Choice] | None = None
    minimum: int | None = None
    default: Any = None
    optional: bool = False


def field_order() -> tuple[str, ...]:
    """Every Profile field: the known order first, then any field added since, in declaration order."""
    fields = tuple(Profile.model_fields)
    return tuple(name for name in ORDER if name in fields) + tuple(name for name in fields if name not in ORDER)


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def _allows_none(annotation: Any) -> bool:
    return get_origin(annotation) in (Union, types.UnionType) and type(None) in get_args(annotation)


def question_type(info: FieldInfo) -> QuestionType:
    """The answer type a field's annotation asks for."""
    annotation = info.annotation
    if get_origin(annotation) is Literal:
        return "choice"
    if annotation is bool:
        return "yes_no"
    if annotation is int:
        return "number"
    return "text"


def _choices(name: str, info: FieldInfo, lang: Lang) -> list[Choice] | None:
    kind = question_type(info)
    if kind == "yes_no":
        yes, no = YES_NO[lang]
        return [Choice(value=True, label=yes), Choice(value=False, label=no)]
    if kind != "choice":
        return None
    labels = _extra(info).get("choices", {})
    return [Choice(value=value, label=labels.get(value, {}).get(lang, str(value))) for value in get_args(info.annotation)]


def _minimum(info: FieldInfo) -> int | None:
    return next((int(str(item.ge)) for item in info.metadata if isinstance(item, annotated_types.Ge)), None)


def _build(name: str, lang: Lang) -> Question:
    info = Profile.model_fields[name]
    extra = _extra(info)
    anchor = str(extra["guide"])
    title = default_guide(lang).sections[anchor].title
    help_text = extra.get("help", {}).get(lang) or (info.description if lang == "en" else "") or ""
    return Question(
        id=name,
        type=question_type(info),
        text=extra["question"][lang],
        help=help_text.strip(),  # the guide section is named once, by ``guide``, which links to its page
        guide=GuideLink(anchor=anchor, title=title, url=f"/guide/{anchor}?lang={lang}"),
        choices=_choices(name, info, lang),
        minimum=_minimum(info),
        default=None if info.default is PydanticUndefined else info.default,
        optional=_allows_none(info.annotation),
    )


@cache
def _questions(lang: Lang) -> tuple[Question, ...]:
    return tuple(_build(name, lang) for name in field_order())


def questions(lang: Lang) -> list[Question]:
    """Every Profile field as a question in ``lang``, most decisive first (built once per language)."""
    return list(_questions(lang))


def question(question_id: str, lang: Lang) -> Question:
    """One question by id; an unknown id is a 422 naming it."""
    for item in _questions(lang):
        if item.id == question_id:
            return item
    raise ValidationFailed(
        f"No question {question_id!r}; GET /v1/questionnaire/schema lists them.", code="unknown_question", field=question_id
    )


def validate_answer(question_id: str, value: Any) -> Any:
    """The answer as the profile stores it (JSON data); a value the profile would reject is a 422 naming the question."""
    question(question_id, "en")
    probe = {"task": "probe", question_id: value}
    try:
        profile = Profile.model_validate(probe)
    except ValidationError as exc:
        messages = "; ".join(err["msg"] for err in exc.errors())
        raise ValidationFailed(
            f"{question_id}: {messages}. GET /v1/questionnaire/schema shows the accepted answers.",
            code="invalid_answer",
            field=question_id,
            errors=[{"field": question_id, "message": err["msg"], "type": err["type"]} for err in exc.errors()],
        ) from exc
    return profile.model_dump(mode="json")[question_id]
