"""The Profile: a typed description of one LLM use case.

The questionnaire is generated from this model's field metadata (``json_schema_extra``), so a
new field here is a new question there. The people-facing texts of every field (question, help,
labels, how a what-if reads) are data in ``rules/questions.yaml``, in English and Hebrew. Every
field but ``task`` has the default a questionnaire would assume before the team answers; which
fields were really given is ``Profile.model_fields_set``, and the verdict lists the rest as assumed.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from knowledge.loader import parse_yaml

Provider = Literal["openai", "google", "anthropic", "open_weights", "undecided"]
Quality = Literal["high", "mixed", "low", "unknown"]
Change = Literal["static", "yearly", "monthly", "weekly", "daily", "realtime"]
KnowledgeSize = Literal["small", "large", "unknown"]
PromptingStatus = Literal["not_tried", "works", "insufficient"]
YesNoUnknown = Literal["yes", "no", "unknown"]
Strategy = Literal["prompting", "rag", "fine_tuning", "rag_and_fine_tuning"]
Lang = Literal["en", "he"]
LANGS: tuple[Lang, ...] = ("en", "he")

QUESTIONS_FILE = Path(__file__).resolve().parent / "questions.yaml"


def _integral(value: Any) -> Any:
    # JSON Schema counts 3.0 as an integer; a fractional number or a string stays an error.
    return int(value) if isinstance(value, float) and value.is_integer() else value


Count = Annotated[int, BeforeValidator(_integral)]
# Upper bounds far past any real use case, so every monthly figure stays a 64-bit integer (a JSON number
# every client parses) instead of an arbitrary-precision one.
MAX_EXAMPLES = 100_000_000
MAX_TOKENS = 10_000_000
MAX_REQUESTS_PER_DAY = 10_000_000_000

STRATEGIES: tuple[Strategy, ...] = ("prompting", "rag", "fine_tuning", "rag_and_fine_tuning")


@cache
def field_texts() -> dict[str, dict[str, Any]]:
    """rules/questions.yaml: per field, its guide anchor, label, question, help, choices and what-if phrases."""
    data = parse_yaml(QUESTIONS_FILE.read_text(encoding="utf-8"))
    for item in data.values():
        # YAML reads `true:`/`false:` keys as booleans; the texts are looked up by the value's JSON spelling.
        if "changes" in item:
            item["changes"] = {str(key).lower() if isinstance(key, bool) else key: text for key, text in item["changes"].items()}
    return dict(data)


def _meta(name: str) -> dict[str, Any]:
    item = field_texts()[name]
    extra = {"guide": item["guide"], "question": item["question"], "help": item["help"], "label": item["label"]}
    if "choices" in item:
        extra["choices"] = item["choices"]
    return extra


def _field(name: str, description: str, **kwargs: Any) -> Any:
    return Field(description=description, json_schema_extra=_meta(name), **kwargs)


class Profile(BaseModel):
    """What a team tells the advisor about its use case."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    task: str = _field("task", "What the model should do, in a sentence or two.", min_length=1, max_length=2000)
    provider: Provider = _field("provider", "The model provider the team uses or plans to use.", default="undecided")
    examples: Count = _field(
        "examples", "How many labelled input→output examples the team has.", default=0, ge=0, le=MAX_EXAMPLES
    )
    example_quality: Quality = _field("example_quality", "How accurate and consistent those examples are.", default="unknown")
    needs_external_knowledge: bool = _field(
        "needs_external_knowledge",
        "Answers depend on facts the model can't know: private documents, recent data.",
        default=False,
    )
    knowledge_size: KnowledgeSize = _field(
        "knowledge_size",
        "How much reference material the answers draw on: fits in one prompt, or must be searched.",
        default="unknown",
    )
    knowledge_change: Change = _field("knowledge_change", "How often the facts behind the answers change.", default="static")
    live_data: bool = _field(
        "live_data", "Answers need live values from the team's systems at request time (tools, not an index).", default=False
    )
    strict_format: bool = _field(
        "strict_format", "Every answer must follow a strict structure (a fixed JSON schema, set fields).", default=False
    )
    custom_style: bool = _field(
        "custom_style", "Answers must sound like the team: a house voice, tone or persona.", default=False
    )
    domain_language: bool = _field(
        "domain_language", "The task uses a niche domain's terminology the model handles poorly.", default=False
    )
    narrow_task: bool = _field(
        "narrow_task", "One narrow, repeated task (classification, extraction, one framework's code).", default=False
    )
    personalization: bool = _field(
        "personalization", "Answers must adapt to each user (preferences, history, profile).", default=False
    )
    latency_sensitive: bool = _field("latency_sensitive", "Answers must come back within a second or two.", default=False)
    own_infrastructure: bool = _field(
        "own_infrastructure", "Data and model must stay on the team's own infrastructure (no hosted API).", default=False
    )
    has_eval_set: bool = _field(
        "has_eval_set", "The team has an evaluation set of 20+ real cases with expected answers.", default=False
    )
    prompting_status: PromptingStatus = _field(
        "prompting_status", "Whether a good prompt with few-shot examples was tried, and how it did.", default="not_tried"
    )
    openai_can_tune: YesNoUnknown = _field(
        "openai_can_tune", "For OpenAI: whether the organisation can still start fine-tuning jobs.", default="unknown"
    )
    prompt_tokens: Count = _field(
        "prompt_tokens",
        "Size in tokens of today's instruction block (system prompt + examples).",
        default=300,
        ge=0,
        le=MAX_TOKENS,
    )
    requests_per_day: Count = _field("requests_per_day", "Expected requests per day.", default=100, ge=0, le=MAX_REQUESTS_PER_DAY)
    input_tokens: Count = _field("input_tokens", "Tokens of user input in a typical request.", default=200, ge=0, le=MAX_TOKENS)
    output_tokens: Count = _field("output_tokens", "Tokens in a typical answer.", default=200, ge=0, le=MAX_TOKENS)
    model: str | None = _field(
        "model",
        "Optional: the model the team targets; prices use the provider's default otherwise.",
        default=None,
        max_length=200,
    )


PROFILE_FIELDS: tuple[str, ...] = tuple(Profile.model_fields)
