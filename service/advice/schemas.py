"""Request and response bodies of /v1/advice."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag

from rules.facts import Lang, Profile
from rules.model import Verdict
from service.artifacts.schemas import Artifact
from service.prompts.schemas import FewShotExample


class AdviceRequest(BaseModel):
    """A profile plus, optionally, the material an artifact needs."""

    model_config = ConfigDict(extra="forbid", strict=True)

    profile: Profile
    artifact: bool = Field(default=False, description="Also build the first artifact of the chosen strategy.")
    dataset_id: str | None = Field(
        default=None, max_length=64, description="A validated dataset: its report replaces the stated example count and quality."
    )
    examples: list[FewShotExample] | None = Field(default=None, max_length=5000, description="Examples for a few-shot prompt.")
    knowledge_base: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="Your knowledge base (id or name): a RAG artifact is bound to it (counts, last evaluation, grounded prompt).",
    )
    lang: Lang = Field(default="en", description="Language of every text in the verdict (reasons, steps, flags, what-ifs).")
    experiment_id: str | None = Field(
        default=None,
        min_length=1,
        max_length=36,
        description="A succeeded experiment: its measurement sets prompting_status and is the first reason.",
    )
    target_accuracy: float | None = Field(
        default=None, gt=0, le=1, description="The accuracy prompting must reach in the experiment (0.8 if unset)."
    )


def _advice_kind(value: Any) -> str:
    return "wrapped" if isinstance(value, dict) and "profile" in value else "profile"


AdviceBody = Annotated[
    Annotated[AdviceRequest, Tag("wrapped")] | Annotated[Profile, Tag("profile")],
    Discriminator(_advice_kind),
]


class AdviceOut(Verdict):
    """A stored verdict: the decision, its reasons, and the profile it was made for."""

    id: str
    created_at: dt.datetime
    profile: Profile
    notes: list[str] = Field(default_factory=list)
    artifact: Artifact | None = Field(
        default=None, description="The strategy's artifact, when asked for (also GET /v1/advice/{id}/artifact)."
    )


class AdvicePage(BaseModel):
    items: list[AdviceOut]
    next_cursor: str | None
