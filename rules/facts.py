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
            help={
                "en": "A sentence or two on what the model should produce; it is kept with the advice but never decides it.",
                "he": "משפט או שניים על מה שהמודל צריך להפיק; הוא נשמר עם ההמלצה אך אינו מכריע אותה.",
            },
        ),
    )
    provider: Provider = Field(
        default="undecided",
        description="The model provider the team uses or plans to use.",
        json_schema_extra=_meta(
            "s5-providers",
            "Which provider do you use?",
            "באיזה ספק אתם משתמשים?",
            help={
                "en": "The provider decides whether a tuning job can start today and what each token costs.",
                "he": "הספק קובע אם אפשר להתחיל היום עבודת כוונון וכמה עולה כל אסימון.",
            },
            choices={
                "openai": {"en": "OpenAI", "he": "OpenAI"},
                "google": {"en": "Google (Gemini on Vertex AI)", "he": "Google (Gemini ב-Vertex AI)"},
                "anthropic": {"en": "Anthropic (Claude)", "he": "Anthropic (Claude)"},
                "open_weights": {"en": "An open-weight model we host", "he": "מודל עם משקולות פתוחות שאנחנו מארחים"},
                "undecided": {"en": "Not decided yet", "he": "עוד לא החלטנו"},
            },
        ),
    )
    examples: Count = Field(
        default=0,
        ge=0,
        description="How many labelled input→output examples the team has.",
        json_schema_extra=_meta(
            "s4-quantity",
            "How many labelled input→output examples do you have?",
            "כמה דוגמאות מתויגות של קלט→פלט יש לכם?",
            help={
                "en": "Count only input→output pairs you could train on; about 100 good ones is the least worth tuning on.",
                "he": "ספרו רק זוגות קלט→פלט שאפשר לאמן עליהם; כ-100 טובים הם המינימום שמצדיק כוונון.",
            },
        ),
    )
    example_quality: Quality = Field(
        default="unknown",
        description="How accurate and consistent those examples are.",
        json_schema_extra=_meta(
            "s4-quality",
            "How accurate and consistent are those examples?",
            "עד כמה הדוגמאות מדויקות ועקביות?",
            help={
                "en": "Reviewed, consistent examples count in full; mixed or unchecked ones about half; poor ones not at all.",
                "he": "דוגמאות שנבדקו ועקביות נספרות במלואן; מעורבות או שלא נבדקו נספרות כמחצית, וגרועות אינן נספרות.",
            },
            choices={
                "high": {"en": "High: reviewed and consistent", "he": "גבוהה: נבדקו והן עקביות"},
                "mixed": {"en": "Mixed: some errors or inconsistencies", "he": "מעורבת: יש שגיאות או חוסר עקביות"},
                "low": {"en": "Low: many errors", "he": "נמוכה: שגיאות רבות"},
                "unknown": {"en": "Not checked yet", "he": "עוד לא בדקנו"},
            },
        ),
    )
    needs_external_knowledge: bool = Field(
        default=False,
        description="Answers depend on facts the model can't know: private documents, recent data.",
        json_schema_extra=_meta(
            "s3-new-knowledge",
            "Do answers depend on facts the model can't know (private documents, recent data)?",
            "האם התשובות תלויות בעובדות שהמודל לא יכול לדעת (מסמכים פנימיים, נתונים עדכניים)?",
            help={
                "en": "Facts the model never saw (internal documents, prices, recent events) belong in retrieval, not training.",
                "he": "עובדות שהמודל לא ראה (מסמכים פנימיים, מחירים, אירועים אחרונים) שייכות לאחזור ולא לאימון.",
            },
        ),
    )
    knowledge_change: Change = Field(
        default="static",
        description="How often the facts behind the answers change.",
        json_schema_extra=_meta(
            "s3-new-knowledge",
            "How often do the facts behind the answers change?",
            "באיזו תדירות משתנות העובדות שעליהן נשענות התשובות?",
            help={
                "en": "Facts that change monthly or faster go stale inside a tuned model; retrieval keeps them current.",
                "he": "עובדות שמשתנות מדי חודש או מהר יותר מתיישנות בתוך מודל מכוונן; אחזור שומר אותן עדכניות.",
            },
            choices={
                "static": {"en": "Rarely or never", "he": "כמעט אף פעם"},
                "yearly": {"en": "About once a year", "he": "בערך פעם בשנה"},
                "monthly": {"en": "Every month", "he": "כל חודש"},
                "weekly": {"en": "Every week", "he": "כל שבוע"},
                "daily": {"en": "Every day", "he": "כל יום"},
                "realtime": {"en": "All the time (real time)", "he": "כל הזמן (בזמן אמת)"},
            },
        ),
    )
    strict_format: bool = Field(
        default=False,
        description="Every answer must follow a strict structure (a fixed JSON schema, set fields).",
        json_schema_extra=_meta(
            "s2-format",
            "Must every answer follow a strict structure, such as a fixed JSON schema?",
            "האם כל תשובה חייבת לעמוד במבנה קבוע, למשל סכמת JSON מוגדרת?",
            help={
                "en": "A fixed structure the model keeps missing even with clear instructions is a reason to tune.",
                "he": "מבנה קבוע שהמודל מחטיא גם עם הוראות ברורות הוא סיבה לכוונן.",
            },
        ),
    )
    custom_style: bool = Field(
        default=False,
        description="Answers must sound like the team: a house voice, tone or persona.",
        json_schema_extra=_meta(
            "s2-style",
            "Must answers sound like you: a house voice, tone or persona?",
            "האם התשובות צריכות להישמע כמוכם: קול, טון או פרסונה של הבית?",
            help={
                "en": "A voice that a few examples in the prompt cannot hold is one of the best reasons to tune.",
                "he": "קול שכמה דוגמאות בהנחיה אינן מצליחות לשמר הוא אחת הסיבות הטובות לכוונן.",
            },
        ),
    )
    domain_language: bool = Field(
        default=False,
        description="The task uses a niche domain's terminology the model handles poorly.",
        json_schema_extra=_meta(
            "s2-domain-language",
            "Does the task use niche terminology that general models handle poorly?",
            "האם המשימה משתמשת במינוח של תחום צר שמודלים כלליים מתקשים בו?",
            help={
                "en": "Jargon, codes or abbreviations of a narrow field that the model gets wrong.",
                "he": "ז'רגון, קודים או ראשי תיבות של תחום צר שהמודל טועה בהם.",
            },
        ),
    )
    narrow_task: bool = Field(
        default=False,
        description="One narrow, repeated task (classification, extraction, one framework's code).",
        json_schema_extra=_meta(
            "s2-narrow-task",
            "Is it one narrow, repeated task such as classification or extraction?",
            "האם זו משימה צרה וחוזרת, כמו סיווג או חילוץ?",
            help={
                "en": "One repeated job with a clear right answer is where a small tuned model does best.",
                "he": "עבודה אחת שחוזרת על עצמה ויש לה תשובה נכונה ברורה היא המקום שבו מודל קטן מכוונן מצטיין.",
            },
        ),
    )
    personalization: bool = Field(
        default=False,
        description="Answers must adapt to each user (preferences, history, profile).",
        json_schema_extra=_meta(
            "s1-app-side-state",
            "Must answers adapt to each user (preferences, history, profile)?",
            "האם התשובות צריכות להתאים לכל משתמש (העדפות, היסטוריה, פרופיל)?",
            help={
                "en": "Per-user memory lives in your application and goes into the prompt; the model does not learn your users.",
                "he": "זיכרון לכל משתמש נשמר באפליקציה ומתווסף להנחיה; המודל אינו לומד את המשתמשים שלכם.",
            },
        ),
    )
    prompting_status: PromptingStatus = Field(
        default="not_tried",
        description="Whether a good prompt with few-shot examples was tried, and how it did.",
        json_schema_extra=_meta(
            "s3-prompting-first",
            "Have you tried a careful prompt with a few examples? How did it do?",
            "האם ניסיתם הנחיה מוקפדת עם כמה דוגמאות? איך זה עבד?",
            help={
                "en": "Try a careful prompt with a few examples before anything else, then say whether it was good enough.",
                "he": "נסו הנחיה מוקפדת עם כמה דוגמאות לפני כל דבר אחר, ואז ציינו אם היא הספיקה.",
            },
            choices={
                "not_tried": {"en": "Not tried yet", "he": "עוד לא ניסינו"},
                "works": {"en": "Tried, and it works well enough", "he": "ניסינו, וזה עובד מספיק טוב"},
                "insufficient": {"en": "Tried, but it falls short", "he": "ניסינו, אבל זה לא מספיק"},
            },
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
            help={
                "en": "A long instruction block sent with every request is what a tuned model can shorten.",
                "he": "בלוק הוראות ארוך שנשלח עם כל בקשה הוא מה שמודל מכוונן יכול לקצר.",
            },
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
            help={
                "en": "With the prompt size, this sets what the instruction block costs each month.",
                "he": "יחד עם גודל ההנחיה, זה קובע כמה עולה בלוק ההוראות בכל חודש.",
            },
        ),
    )
    model: str | None = Field(
        default=None,
        max_length=200,
        description="Optional: the model the team targets; prices use the provider's default otherwise.",
        json_schema_extra=_meta(
            "s5-providers",
            "Which model do you target (optional)?",
            "לאיזה מודל אתם מכוונים (לא חובה)?",
            help={
                "en": "Leave it empty to price on the provider's default model.",
                "he": "השאירו ריק כדי לתמחר לפי מודל ברירת המחדל של הספק.",
            },
        ),
    )


PROFILE_FIELDS: tuple[str, ...] = tuple(Profile.model_fields)
