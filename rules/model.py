"""Rules as data and the verdict they produce."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rules.facts import Strategy

Stage = Literal["signal", "readiness", "feasibility", "advice"]
STAGES: tuple[Stage, ...] = ("signal", "readiness", "feasibility", "advice")
Lever = Literal["prompting", "rag", "fine_tuning"]
FlagCode = Literal[
    "insufficient_training_data",
    "low_quality_training_data",
    "provider_cannot_fine_tune",
    "provider_fine_tuning_ending",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NextStep(_Frozen):
    """One thing to do; ``order`` sorts steps across rules (prompting 10 … start small 50)."""

    order: int = Field(ge=0, le=100)
    text: str


class FlagSpec(_Frozen):
    code: FlagCode
    message: str


class Then(_Frozen):
    """What a rule does when it fires."""

    score: dict[Lever, int] = Field(default_factory=dict)
    block: list[Lever] = Field(default_factory=list)
    flag: FlagSpec | None = None
    next_steps: list[NextStep] = Field(default_factory=list)


class Rule(_Frozen):
    """One rule file under ``rules/data/<criterion>/``."""

    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$")
    title: str
    criterion: str
    stage: Stage = "signal"
    guide: str = Field(description="Anchor of the guide section the rule comes from.")
    when: dict[str, Any]
    then: Then
    because: str
    evidence: list[str] = Field(default_factory=list)


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


class Flag(_Frozen):
    code: FlagCode
    message: str
    rule: str


class Change(_Frozen):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    field: str
    from_value: Any = Field(alias="from")
    to_value: Any = Field(alias="to")


class Counterfactual(_Frozen):
    strategy: Strategy
    reachable: bool
    changes: list[Change]
    summary: str


class Economics(_Frozen):
    """Monthly prompt tokens and cost today vs a tuned model with a shorter prompt."""

    provider: str
    model: str | None
    requests_per_month: int
    prompt_tokens_today: int
    prompt_tokens_tuned: int
    monthly_prompt_tokens_today: int
    monthly_prompt_tokens_tuned: int
    monthly_cost_today_usd: float | None
    monthly_cost_tuned_usd: float | None
    monthly_saving_usd: float | None
    training_cost_estimate_usd: float | None
    payback_days: float | None
    prices_as_of: str | None
    assumptions: list[str]


class Verdict(_Frozen):
    strategy: Strategy
    scores: dict[Strategy, int]
    reasons: list[Reason]
    flags: list[Flag]
    blocked: dict[str, list[str]]
    next_steps: list[str]
    counterfactuals: list[Counterfactual]
    economics: Economics | None
    rules_version: str
    catalog_as_of: str
