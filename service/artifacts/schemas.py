"""The artifact an advice carries: one part per strategy, a union discriminated by ``kind``."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from rules.facts import Strategy
from service.artifacts.combined import CombinedArtifact
from service.artifacts.prompting import FewShotNeedsExamples
from service.artifacts.rag_setup import RagSetup
from service.artifacts.tuning_spec import TuningSpec
from service.prompts.schemas import FewShotPrompt

# prompt (few_shot_prompt, or what to send for one), rag_setup, tuning_spec, combined.
ArtifactPart = Annotated[
    FewShotPrompt | FewShotNeedsExamples | RagSetup | TuningSpec | CombinedArtifact,
    Field(discriminator="kind"),
]


class Artifact(BaseModel):
    """What the advice's strategy ships: download it from GET /v1/advice/{id}/artifact."""

    strategy: Strategy
    parts: list[ArtifactPart]
