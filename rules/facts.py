"""The Profile: a typed description of one LLM use case.

The questionnaire is generated from this model's field metadata (``json_schema_extra``), so a
new field here is a new question there. Every field but ``task`` has the default a questionnaire
would assume before the team answers.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

Provider = Literal["openai", "google", "anthropic", "open_weights", "undecided"]
Quality = Literal["high", "mixed", "low", "unknown"]
Change = Literal["static", "yearly", "monthly", "weekly", "daily", "realtime"]
PromptingStatus = Literal["not_tried", "works", "insufficient"]
Strategy = Literal["prompting", "rag", "fine_tuning", "rag_and_fine_tuning"]


def _integral(value: Any) -> Any:
    # JSON Schema counts 3.0 as an integer; a fractional number or a string stays an error.
    return int(value) if isinstance(value, float) and value.is_integer() else value


Count = Annotated[int, BeforeValidator(_integral)]

STRATEGIES: tuple[Strategy, ...] = ("prompting", "rag", "fine_tuning", "rag_and_fine_tuning")


def _meta(guide: str, en: str, he: str, **extra: Any) -> dict[str, Any]:
    return {"guide": guide, "question": {"en": en, "he": he}, **extra}


class Profile(BaseModel):
    """What a team tells the advisor about its use case."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    task: str = Field(
        min_length=1,
        max_length=2000,
        description="What the model should do, in a sentence or two.",
        json_schema_extra=_meta(
            "s1-context-illusion",
            "What should the model do?",
            "מה המודל צריך לעשות?",
        ),
    )
    provider: Provider = Field(
        default="undecided",
        description="The model provider the team uses or plans to use.",
        json_schema_extra=_meta("s5-providers", "Which provider do you use?", "באיזה ספק אתם משתמשים?"),
    )
    examples: Count = Field(
        default=0,
        ge=0,
        description="How many labelled input→output examples the team has.",
        json_schema_extra=_meta(
            "s4-quantity",
            "How many labelled input→output examples do you have?",
            "כמה דוגמאות מתויגות של קלט→פלט יש לכם?",
        ),
    )
    example_quality: Quality = Field(
        default="unknown",
        description="How accurate and consistent those examples are.",
        json_schema_extra=_meta(
            "s4-quality",
            "How accurate and consistent are those examples?",
            "עד כמה הדוגמאות מדויקות ועקביות?",
        ),
    )
    needs_external_knowledge: bool = Field(
        default=False,
        description="Answers depend on facts the model can't know: private documents, recent data.",
        json_schema_extra=_meta(
            "s3-new-knowledge",
            "Do answers depend on facts the model can't know (private documents, recent data)?",
            "האם התשובות תלויות בעובדות שהמודל לא יכול לדעת (מסמכים פנימיים, נתונים עדכניים)?",
        ),
    )
    knowledge_change: Change = Field(
        default="static",
        description="How often the facts behind the answers change.",
        json_schema_extra=_meta(
            "s3-new-knowledge",
            "How often do the facts behind the answers change?",
            "באיזו תדירות משתנות העובדות שעליהן נשענות התשובות?",
        ),
    )
    strict_format: bool = Field(
        default=False,
        description="Every answer must follow a strict structure (a fixed JSON schema, set fields).",
        json_schema_extra=_meta(
            "s2-format",
            "Must every answer follow a strict structure, such as a fixed JSON schema?",
            "האם כל תשובה חייבת לעמוד במבנה קבוע, למשל סכמת JSON מוגדרת?",
        ),
    )
    custom_style: bool = Field(
        default=False,
        description="Answers must sound like the team: a house voice, tone or persona.",
        json_schema_extra=_meta(
            "s2-style",
            "Must answers sound like you: a house voice, tone or persona?",
            "האם התשובות צריכות להישמע כמוכם: קול, טון או פרסונה של הבית?",
        ),
    )
    domain_language: bool = Field(
        default=False,
        description="The task uses a niche domain's terminology the model handles poorly.",
        json_schema_extra=_meta(
            "s2-domain-language",
            "Does the task use niche terminology that general models handle poorly?",
            "האם המשימה משתמשת במינוח של תחום צר שמודלים כלליים מתקשים בו?",
        ),
    )
    narrow_task: bool = Field(
        default=False,
        description="One narrow, repeated task (classification, extraction, one framework's code).",
        json_schema_extra=_meta(
            "s2-narrow-task",
            "Is it one narrow, repeated task such as classification or extraction?",
            "האם זו משימה צרה וחוזרת, כמו סיווג או חילוץ?",
        ),
    )
    personalization: bool = Field(
        default=False,
        description="Answers must adapt to each user (preferences, history, profile).",
        json_schema_extra=_meta(
            "s1-app-side-state",
            "Must answers adapt to each user (preferences, history, profile)?",
            "האם התשובות צריכות להתאים לכל משתמש (העדפות, היסטוריה, פרופיל)?",
        ),
    )
    prompting_status: PromptingStatus = Field(
        default="not_tried",
        description="Whether a good prompt with few-shot examples was tried, and how it did.",
        json_schema_extra=_meta(
            "s3-prompting-first",
            "Have you tried a careful prompt with a few examples? How did it do?",
            "האם ניסיתם הנחיה מוקפדת עם כמה דוגמאות? איך זה עבד?",
        ),
    )
    prompt_tokens: Count = Field(
        default=300,
        ge=0,
        description="Size in tokens of today's instruction block (system prompt + examples).",
        json_schema_extra=_meta(
            "s2-shorter-prompts",
            "How many tokens is your instruction block (system prompt and examples)?",
            "כמה אסימונים (tokens) יש בבלוק ההוראות שלכם (הנחיית מערכת ודוגמאות)?",
        ),
    )
    requests_per_day: Count = Field(
        default=100,
        ge=0,
        description="Expected requests per day.",
        json_schema_extra=_meta(
            "s2-shorter-prompts",
            "How many requests per day do you expect?",
            "כמה בקשות ביום אתם מצפים?",
        ),
    )
    model: str | None = Field(
        default=None,
        max_length=200,
        description="Optional: the model the team targets; prices use the provider's default otherwise.",
        json_schema_extra=_meta("s5-providers", "Which model do you target (optional)?", "לאיזה מודל אתם מכוונים (לא חובה)?"),
    )


PROFILE_FIELDS: tuple[str, ...] = tuple(Profile.model_fields)
