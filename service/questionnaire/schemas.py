"""Request and response bodies of /v1/questionnaire."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from rules.facts import Profile
from service.advice.schemas import AdviceOut
from service.questionnaire.questions import Lang, Question

# The questions' metadata is served by /schema; OpenAPI keeps to the JSON Schema keywords.
_METADATA = {"guide", "question", "help", "choices", "title"}


def _value_schemas() -> dict[str, dict[str, Any]]:
    """Each question's answer as JSON Schema, taken from the profile (one source of truth)."""
    fields: dict[str, dict[str, Any]] = Profile.model_json_schema()["properties"]
    return {name: {k: v for k, v in schema.items() if k not in _METADATA} for name, schema in fields.items()}


VALUE_SCHEMAS = _value_schemas()
# Validation stays in questions.validate_answer (422 invalid_answer naming the question); these only document it.
AnswersSchema = WithJsonSchema(
    {"type": "object", "properties": VALUE_SCHEMAS, "additionalProperties": False, "description": "Question id -> answer."}
)
AnswerSchema = WithJsonSchema(
    {
        "oneOf": [
            {
                "type": "object",
                "properties": {"question_id": {"const": name}, "value": schema},
                "required": ["question_id", "value"],
                "additionalProperties": False,
            }
            for name, schema in VALUE_SCHEMAS.items()
        ]
    }
)


class SchemaOut(BaseModel):
    lang: Lang
    questions: list[Question]


class SessionCreate(BaseModel):
    """A new session; ``answers`` prefills questions (for example from POST /v1/intake)."""

    model_config = ConfigDict(extra="forbid")

    lang: Lang = "en"
    answers: Annotated[dict[str, Any], AnswersSchema] = Field(default_factory=dict, max_length=100)


class AnswerIn(BaseModel):
    """One answer; answering a question again changes the earlier answer."""

    model_config = ConfigDict(extra="forbid", json_schema_extra=AnswerSchema.json_schema)

    question_id: str = Field(min_length=1, max_length=64)
    value: Any = Field(description="A choice's value, true/false, a whole number, text, or null for an optional question.")


class Progress(BaseModel):
    answered: int
    remaining_at_most: int = Field(description="Questions that could still be asked; an upper bound, usually fewer are.")


class SessionOut(BaseModel):
    id: str
    lang: Lang
    status: Literal["asking", "done"]
    answers: dict[str, Any]
    asked: list[str] = Field(description="Question ids in the order they were answered (prefilled ones first).")
    question: Question | None = Field(description="The next question while asking; null when done.")
    progress: Progress
    advice: AdviceOut | None = Field(description="When done: the stored advice for the current answers, as from POST /v1/advice.")
    created_at: dt.datetime
    updated_at: dt.datetime
