"""Request and response bodies of /v1/tuning-jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rules.facts import Count, Provider
from service.artifacts.tuning_spec import TuningSpec


class TuningJobRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    provider: Provider
    dataset_id: str | None = Field(default=None, max_length=64)
    model: str | None = Field(default=None, max_length=200)
    examples: Count = Field(default=0, ge=0, description="Used for the estimate when no dataset is given.")
    submit: bool = Field(default=False, description="Upload the data and create the job (needs the provider key).")
    validation_fraction: float = Field(default=0.1, ge=0, lt=1)
    suffix: str | None = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")


class TuningJobOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # built from a TuningJobRow (its spec also keeps the request)

    id: str
    status: Literal["draft", "submitting", "submitted", "failed", "succeeded", "cancelled", "running"]
    provider: str
    model: str | None
    dataset_id: str | None
    idempotency_key: str | None
    spec: TuningSpec
    provider_job_id: str | None
    provider_status: str | None
    fine_tuned_model: str | None
    error: dict[str, Any] | None
    created_at: dt.datetime
    updated_at: dt.datetime
