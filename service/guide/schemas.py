"""Response bodies of /v1/rules and /v1/guide."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel


class RuleOut(BaseModel):
    id: str
    title: str
    criterion: str
    stage: str
    guide: str
    because: str
    when: dict[str, Any]
    then: dict[str, Any]
    evidence: list[str]
    cases: dict[str, list[dict[str, Any]]] | None = None


class GuideSectionOut(BaseModel):
    anchor: str
    lang: Literal["en", "he"]
    title: str
    body: str


class GuideIndexOut(BaseModel):
    lang: Literal["en", "he"]
    title: str
    sections: list[dict[str, str]]
