"""Response bodies of the health probes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class Health(BaseModel):
    status: Literal["ok"]
    checks: dict[str, str | int] = Field(default_factory=dict)
