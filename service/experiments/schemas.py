"""Request and response bodies of /v1/experiments, and the graders a set or an item names."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from rules.facts import Count

TargetProvider = Literal["openai", "anthropic", "google", "openai_compatible"]
CandidateName = Literal["zero_shot", "few_shot", "grounded"]
State = Literal["queued", "running", "succeeded", "failed"]
MAX_ITEMS = 1000
MAX_TEXT = 20_000


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Target(_Strict):
    provider: TargetProvider
    model: str = Field(min_length=1, max_length=200, pattern=r"^\S+$")
    base_url: str | None = Field(
        default=None,
        max_length=500,
        pattern=r"^https?://[^\s/]+(/\S*)?$",
        description="The server's OpenAI-compatible base, like http://127.0.0.1:11434/v1; openai_compatible only.",
    )
    input_per_mtok: float | None = Field(
        default=None, ge=0, le=10_000, description="USD per million input tokens (openai_compatible)."
    )
    output_per_mtok: float | None = Field(
        default=None, ge=0, le=10_000, description="USD per million output tokens (openai_compatible)."
    )


class ExactGrader(_Strict):
    """Equal after normalising case, Unicode form, whitespace, quotes and trailing punctuation."""

    type: Literal["exact"] = "exact"


class LabelGrader(_Strict):
    """The output names one label of the set (as the whole answer or one whole word of it), the expected one."""

    type: Literal["label"] = "label"
    labels: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = Field(
        default=None, min_length=1, max_length=1000, description="The label set; the set's distinct expected values if unset."
    )


class JsonSchemaGrader(_Strict):
    """The output is JSON (a fenced block counts) valid against ``json_schema``; optionally equal to the expected JSON."""

    type: Literal["json_schema"] = "json_schema"
    json_schema: dict[str, Any] | None = Field(default=None, description="JSON Schema (2020-12); any JSON passes if unset.")
    match_expected: bool = False


class RegexGrader(_Strict):
    """``pattern`` (or the item's expected value, read as a pattern) is found in the output."""

    type: Literal["regex"] = "regex"
    pattern: str | None = Field(default=None, min_length=1, max_length=1000)
    ignore_case: bool = False


class NumericGrader(_Strict):
    """The first number in the output is within ``tolerance`` of the expected number."""

    type: Literal["numeric"] = "numeric"
    tolerance: float = Field(default=0.0, ge=0, le=1e12)
    relative: bool = Field(default=False, description="tolerance is a fraction of the expected value")


class EmbeddingGrader(_Strict):
    """Cosine similarity of the two texts under the bundled embedding model at or above ``threshold``."""

    type: Literal["embedding"] = "embedding"
    threshold: float = Field(default=0.8, ge=-1, le=1)


class RubricGrader(_Strict):
    """A judge model reads the rubric, the input, the expected answer and the output, and answers PASS or FAIL
    (or, with ``scale``, a whole number from 1 to ``scale``). Any other answer is not scored: it is an error."""

    type: Literal["rubric"] = "rubric"
    rubric: str = Field(min_length=1, max_length=MAX_TEXT, description="What a right answer does, for the judge.")
    judge: Target | None = Field(default=None, description="The judge model; the experiment's target if unset.")
    scale: int | None = Field(default=None, ge=2, le=10, description="Ask for a score 1..scale instead of PASS/FAIL.")
    passing: int | None = Field(default=None, ge=1, le=10, description="With scale: the lowest passing score (80% of it).")

    @model_validator(mode="after")
    def _passing_within_scale(self) -> RubricGrader:
        if self.passing is not None and (self.scale is None or self.passing > self.scale):
            raise ValueError("passing needs a scale and must be at most scale")
        if self.judge is not None and (self.judge.provider == "openai_compatible") != (self.judge.base_url is not None):
            raise ValueError("judge.base_url is required for openai_compatible and only there")
        return self


GraderSpec = Annotated[
    ExactGrader | LabelGrader | JsonSchemaGrader | RegexGrader | NumericGrader | EmbeddingGrader | RubricGrader,
    Field(discriminator="type"),
]
GraderName = Literal["exact", "label", "json_schema", "regex", "numeric", "embedding"]
GraderChoice = GraderName | GraderSpec


class Item(_Strict):
    input: str = Field(min_length=1, max_length=MAX_TEXT)
    expected: str = Field(max_length=MAX_TEXT)
    grader: GraderChoice | None = Field(default=None, description="This item's grader; the set's if unset.")


class TunedCandidate(_Strict):
    tuned_model: str = Field(min_length=1, max_length=300, pattern=r"^\S+$", description="A tuned model id, like ft:...")


def _zero_shot() -> list[CandidateName | TunedCandidate]:
    return ["zero_shot"]


class ExperimentRequest(_Strict):
    """An evaluation set, a target model and the candidates to pilot on it.

    Rules the schema cannot state (422): exactly one of ``items`` and ``dataset_id``; ``base_url`` with
    openai_compatible and only there; ``few_shot`` needs ``advice_id``, ``grounded`` needs ``knowledge_base``.
    """

    items: list[Item] | None = Field(default=None, min_length=1, max_length=MAX_ITEMS)
    dataset_id: str | None = Field(default=None, min_length=1, max_length=36, description="A validated training dataset.")
    holdout: float | None = Field(
        default=None, gt=0, le=1, description="With dataset_id: evaluate on this last fraction of its examples."
    )
    target: Target
    candidates: list[CandidateName | TunedCandidate] = Field(default_factory=_zero_shot, min_length=1, max_length=8)
    grader: GraderChoice = "exact"
    system: str | None = Field(default=None, min_length=1, max_length=MAX_TEXT, description="Instructions for zero_shot.")
    advice_id: str | None = Field(
        default=None, min_length=1, max_length=36, description="few_shot: the advice whose prompt to try."
    )
    knowledge_base: str | None = Field(default=None, min_length=1, max_length=128, description="grounded: id or name.")
    max_tokens: Count = Field(default=512, ge=1, le=8192, description="Largest answer per call.")
    max_cost_usd: float | None = Field(default=None, ge=0, le=1_000_000)
    confirm_cost: bool = Field(default=False, description="Run even when the estimate is over max_cost_usd or the budget.")

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentRequest:
        if (self.items is None) == (self.dataset_id is None):
            raise ValueError("send either items or dataset_id")
        if (self.target.provider == "openai_compatible") != (self.target.base_url is not None):
            raise ValueError("target.base_url is required for openai_compatible and only there")
        names = [c if isinstance(c, str) else f"tuned:{c.tuned_model}" for c in self.candidates]
        if len(set(names)) != len(names):
            raise ValueError("each candidate once")
        if "few_shot" in names and self.advice_id is None:
            raise ValueError("few_shot needs advice_id")
        if "grounded" in names and self.knowledge_base is None:
            raise ValueError("grounded needs knowledge_base")
        return self


class ItemResult(BaseModel):
    index: int
    input: str
    expected: str
    output: str | None
    correct: bool
    grader: str
    detail: str | None = None
    latency_ms: float | None = None
    error: str | None = None


class CandidateReport(BaseModel):
    name: str
    model: str
    n: int = Field(description="Items scored so far.")
    correct: int
    errors: int = Field(description="Items the provider never answered (not in n).")
    accuracy: float | None
    ci_low: float | None = Field(description="95% Wilson score interval of the accuracy.")
    ci_high: float | None
    cost_usd: float | None = Field(description="From the catalog's prices and the tokens the provider reported.")
    latency_ms_p50: float | None
    graders: dict[str, int] = Field(description="How many items each grader scored.")
    results: list[ItemResult]


class ExperimentOut(BaseModel):
    id: str
    state: State
    progress: dict[str, int]
    target: dict[str, Any]
    estimate_usd: float | None
    candidates: list[CandidateReport]
    error: dict[str, Any] | None
    created_at: dt.datetime
    updated_at: dt.datetime


class ExperimentSummary(BaseModel):
    id: str
    state: State
    progress: dict[str, int]
    target: dict[str, Any]
    candidates: list[str]
    created_at: dt.datetime


class ExperimentAccepted(BaseModel):
    id: str
    state: State
    estimate_usd: float | None
    total: int
