"""What the service needs from a provider that tunes, independent of any SDK."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


@dataclass(frozen=True)
class ProviderJob:
    id: str
    status: str
    fine_tuned_model: str | None = None
    error: str | None = None


class TuningClient(Protocol):
    def upload(self, path: Path, *, idempotency_key: str) -> str:
        """Upload a training file; returns the provider's file id."""
        ...

    def create_job(
        self,
        *,
        model: str,
        training_file: str,
        validation_file: str | None,
        hyperparameters: dict[str, Any],
        suffix: str | None,
        idempotency_key: str,
    ) -> ProviderJob:
        """Create a supervised tuning job."""
        ...

    def retrieve(self, job_id: str) -> ProviderJob:
        """The job's current state."""
        ...


TERMINAL = frozenset({"succeeded", "failed", "cancelled"})
