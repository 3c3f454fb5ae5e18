"""Request and response bodies of /v1/intake."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_TEXT_CHARS = 5000
TASK_MAX_CHARS = 2000


class IntakeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    # The limits are documented here and enforced by the intake itself, so a violation gets its own code
    # (empty_text, text_too_long) in the same place for HTTP and for the Slack bot.
    text: str = Field(
        description="The use case in your own words, English or Hebrew.",
        json_schema_extra={"minLength": 1, "maxLength": MAX_TEXT_CHARS, "pattern": r"\S"},
        examples=["We have about 2,000 labelled tickets, the docs change every week, output must be JSON."],
    )
    lang: Literal["en", "he"] | None = Field(default=None, description="The text's language; detected when null.")


Lang = Literal["en", "he"]


class Evidence(BaseModel):
    """One extracted fact and the exact words it came from: ``text == input[start:end]`` (code point offsets)."""

    field: str
    value: Any
    text: str
    start: int = Field(ge=0)
    end: int = Field(ge=0)


class IntakeResult(BaseModel):
    """A draft profile (only the fields found), its evidence, and the question ids still needed, in ask order."""

    lang: Lang
    profile: dict[str, Any]
    evidence: list[Evidence]
    missing: list[str]
    source: Literal["rules", "llm"]
    notes: list[str] = Field(default_factory=list)
