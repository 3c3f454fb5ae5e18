"""Rules as data and the verdict they produce."""

from __future__ import annotations

from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rules.facts import Lang, Strategy

Stage = Literal["signal", "readiness", "feasibility", "advice"]
STAGES: tuple[Stage, ...] = ("signal", "readiness", "feasibility", "advice")
Lever = Literal["prompting", "rag", "fine_tuning"]
FlagCode = Literal[
    "insufficient_training_data",
    "low_quality_training_data",
    "provider_cannot_fine_tune",
    "provider_fine_tuning_ending",
    "answers_inconsistent",
    "model_retired",
    "model_shutting_down",
    "no_evaluation_set",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Text(_Frozen):
    """A people-facing text in every language the advisor speaks; a rule file without one does not load."""

    en: str = Field(min_length=1)
    he: str = Field(min_length=1)

    def __call__(self, lang: Lang) -> str:
        return self.he if lang == "he" else self.en


class NextStep(_Frozen):
    """One thing to do; ``order`` sorts steps across rules (prompting 10 … start small 50)."""

    order: int = Field(ge=0, le=100)
    text: Text


class FlagSpec(_Frozen):
    code: FlagCode
    message: Text


class Then(_Frozen):
    """What a rule does when it fires."""

    score: dict[Lever, int] = Field(default_factory=dict)
    block: list[Lever] = Field(default_factory=list)
    flag: FlagSpec | None = None
    next_steps: list[NextStep] = Field(default_factory=list)


class Rule(_Frozen):
    """One rule file under ``rules/data/<criterion>/``."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: Text
    criterion: str
    stage: Stage = "signal"
    guide: str = Field(description="Anchor of the guide section the rule comes from.")
    when: dict[str, Any]
    then: Then
    because: Text
    against: list[Lever] = Field(
        default_factory=list,
        description="Levers the `because` argues against (besides those it blocks): shown only when none is chosen.",
    )
    asserts: list[str] = Field(
        default_factory=list, description="Profile fields the `because` states as facts: marked assumed when not answered."
    )
    evidence: list[str] = Field(default_factory=list)

    @cached_property
    def argues_against(self) -> frozenset[str]:
        return frozenset(self.against) | frozenset(self.then.block)

    @cached_property
    def supports(self) -> frozenset[str]:
        """The levers the rule adds evidence for."""
        return frozenset(lever for lever, points in self.then.score.items() if points > 0)

    def agrees_with(self, levers: frozenset[str]) -> bool:
        """Whether the rule's reason belongs with a verdict using ``levers``: it argues against none of them, and if it
        argues for something, for one of them."""
        return not self.argues_against & levers and (not self.supports or bool(self.supports & levers))


class RuleCases(_Frozen):
    """Profiles on which a rule must fire and must not fire (``rules/cases/<rule-id>.yaml``)."""

    rule: str
    must_fire: list[dict[str, Any]] = Field(min_length=1)
    must_not_fire: list[dict[str, Any]] = Field(min_length=1)


# --- the verdict ---------------------------------------------------------------------


class Reason(_Frozen):
    rule: str
    title: str
    because: str
    guide: str
    stage: Stage
    assumed: list[str] = Field(default_factory=list, description="Labels of the unanswered fields this reason relies on.")


class Flag(_Frozen):
    code: FlagCode
    message: str
    rule: str


class Change(_Frozen):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    field: str
    from_value: Any = Field(alias="from")
    to_value: Any = Field(alias="to")
    label: str = Field(default="", description="The change as people read it (the question's wording, never a field name).")


class Counterfactual(_Frozen):
    strategy: Strategy
    reachable: bool
    changes: list[Change]
    summary: str
    effort: int = Field(default=0, description="How much work the change is (1 try a prompt … 5 another requirement).")


class Assumption(_Frozen):
    """A field the verdict used without an answer: its default, as people read it."""

    field: str
    label: str
    value: Any
    text: str


class CostSide(_Frozen):
    provider: str
    model: str | None
    block_tokens: int
    cached_share: float
    total_usd: float | None
    block_usd: float | None
    input_usd: float | None
    output_usd: float | None
    self_hosted: bool


class Economics(_Frozen):
    """Monthly cost today vs a tuned model with a shorter prompt, counted on every token."""

    provider: str
    model: str | None
    tuned_provider: str
    tuned_model: str | None
    requests_per_month: int
    prompt_tokens_today: int
    prompt_tokens_tuned: int
    input_tokens: int
    output_tokens: int
    monthly_prompt_tokens_today: int
    monthly_prompt_tokens_tuned: int
    today: CostSide
    baseline: CostSide | None = Field(
        default=None, description="Today's prompt on the model that would be tuned, when that is not today's model."
    )
    tuned: CostSide
    monthly_cost_today_usd: float | None
    monthly_cost_tuned_usd: float | None
    monthly_saving_usd: float | None = Field(description="Tuning's own effect: the tuned model against the same model untuned.")
    training_cost_estimate_usd: float | None
    training_epochs: int
    payback_days: float | None
    prices_as_of: str | None
    assumptions: list[str]
    sanity: list[str] = Field(default_factory=list)


class TuningPlan(_Frozen):
    """Where to tune when fine-tuning is indicated, and why there."""

    provider: str
    model: str | None
    elsewhere: bool
    reason: str
    days_left: int | None
    summary: str
    steps: list[str]


class Verdict(_Frozen):
    strategy: Strategy
    lang: Lang = "en"
    scores: dict[Strategy, int]
    reasons: list[Reason]
    outweighed: list[Reason] = Field(default_factory=list, description="Reasons that argued for a lever not chosen.")
    flags: list[Flag]
    blocked: dict[str, list[str]]
    next_steps: list[str]
    counterfactuals: list[Counterfactual]
    economics: Economics | None
    tuning: TuningPlan | None = None
    assumptions: list[Assumption] = Field(default_factory=list)
    rules_version: str
    catalog_as_of: str
