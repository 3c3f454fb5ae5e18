"""The catalog's pydantic models: every provider fact carries the page it came from and the day it was read.

Dates follow one convention throughout: ``shutdown`` and ``available_until`` are the first day the thing is
gone (a provider's "retirement date" that names the last usable day is entered as is, which errs a day early).
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ProviderName = Literal["openai", "google", "anthropic", "open_weights"]
Purpose = Literal["tuning", "prompting", "extraction"]
TuningMethod = Literal["supervised", "preference", "reinforcement"]
PURPOSES: tuple[Purpose, ...] = ("tuning", "prompting", "extraction")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(_Strict):
    """A fact with the public page it was read from and the day it was read."""

    source: str
    as_of: dt.date
    verified: bool = Field(default=True, description="False when no page we could read confirmed it; the note says why.")
    note: str | None = None

    @field_validator("source")
    @classmethod
    def _source_is_a_page(cls, value: str) -> str:
        if not value.startswith("https://"):
            raise ValueError(f"source must be an https:// page, got {value!r}")
        return value


_PRICE_NOTE = "Not read on the provider's pricing page: carried over from the earlier sheet or quoted by third parties."


class Price(Sourced):
    """USD per 1M tokens. Prices are unverified until someone reads them on the provider's pricing page."""

    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)
    cached_input_per_mtok: float | None = Field(default=None, ge=0)
    verified: bool = False
    note: str | None = _PRICE_NOTE


class TunedPrice(Price):
    training_per_mtok: float = Field(ge=0)


class GpuPrice(Sourced):
    """What self-hosted training costs: a GPU's hourly rate and a rough number of hours per run."""

    gpu: str
    usd_per_gpu_hour: float = Field(ge=0)
    lora_hours_per_1k_examples: float | None = Field(default=None, ge=0)
    verified: bool = False
    note: str | None = _PRICE_NOTE


class Tuning(Sourced):
    """When and how a model can be tuned; ``available_until`` is the first day no new job can start."""

    available_from: dt.date | None = None
    available_until: dt.date | None = None
    methods: list[TuningMethod]
    min_examples: int | None = Field(default=None, ge=0)
    max_example_tokens: int | None = Field(default=None, ge=0)
    max_file_bytes: int | None = Field(default=None, ge=0)
    max_epochs: int | None = Field(default=None, ge=1)
    adapter_sizes: list[int] | None = None

    def open_on(self, today: dt.date) -> bool:
        started = self.available_from is None or self.available_from <= today
        return started and (self.available_until is None or today < self.available_until)


def _prompting_only() -> list[Purpose]:
    return ["prompting"]


class Lifecycle(Sourced):
    released: dt.date | None = None
    deprecated: dt.date | None = None
    shutdown: dt.date | None = Field(default=None, description="First day the model no longer serves requests.")
    fine_tunes_shut_down: bool | None = Field(default=None, description="True when tuned copies stop with the base model.")
    replacement: str | None = None
    purposes: list[Purpose] = Field(default_factory=_prompting_only)
    tuning: Tuning | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Lifecycle:
        if self.released and self.shutdown and self.shutdown <= self.released:
            raise ValueError(f"shutdown {self.shutdown} is not after released {self.released}")
        if ("tuning" in self.purposes) != (self.tuning is not None):
            raise ValueError("purpose 'tuning' and a tuning block go together")
        return self


class ModelEntry(Sourced):
    id: str
    tunable: bool
    tokenizer: str
    context_tokens: int = Field(ge=0)
    max_example_tokens: int = Field(ge=0)
    lifecycle: Lifecycle
    price: Price | None = None
    tuned_price: TunedPrice | None = None
    gpu_price: GpuPrice | None = None
    tuning_id: str | None = Field(default=None, description="The snapshot name a tuning job takes, when it differs from id.")

    @model_validator(mode="after")
    def _tunable_matches_lifecycle(self) -> ModelEntry:
        if self.tunable != (self.lifecycle.tuning is not None):
            missing = "lacks" if self.tunable else "has"
            raise ValueError(f"{self.id}: tunable={self.tunable} but the lifecycle {missing} a tuning block")
        return self

    @property
    def replacement(self) -> str | None:
        return self.lifecycle.replacement

    def available_on(self, today: dt.date) -> bool:
        """True when the model serves requests on ``today``."""
        life = self.lifecycle
        return (life.released is None or life.released <= today) and (life.shutdown is None or today < life.shutdown)

    def tunable_on(self, today: dt.date) -> bool:
        """True when a new tuning job on this model can start on ``today`` (the provider's own cut-off aside)."""
        tuning = self.lifecycle.tuning
        return tuning is not None and self.available_on(today) and tuning.open_on(today)

    def days_until_shutdown(self, today: dt.date) -> int | None:
        """Days left until shutdown (0 or less once it is shut down), None when no date is announced."""
        shutdown = self.lifecycle.shutdown
        return None if shutdown is None else (shutdown - today).days


class FineTuning(Sourced):
    supported: bool
    status: Literal["available", "winding_down", "unavailable"]
    how: str
    methods: list[str]
    formats: list[str]
    min_examples: int = Field(ge=0)
    recommended_examples: int = Field(ge=0)
    default_model: str | None = Field(default=None, description="Kept for old callers; defaults are computed from lifecycles.")
    alternative: str | None = None
    max_dataset_bytes: int | None = None
    adapter_sizes: list[int] | None = None
    notes: list[str] = Field(default_factory=list)


class Deprecation(Sourced):
    """A provider-level change with a date: an access restriction, a cut-off, an SDK removal."""

    id: str
    what: str
    what_he: str | None = Field(default=None, description="The same in Hebrew, for the guide's generated block.")
    date: dt.date
    ends_fine_tuning: bool = False
