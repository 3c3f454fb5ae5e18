"""Quotas per tenant: how much one request, document or tenant may make the machine do or keep.

Each quota is a setting (``ADVISOR_QUOTA_*``, service/config.py) with a default that keeps one 2-core machine
answering everyone. Over a quota is ``QuotaExceeded`` (``quota_exceeded``): 413 for a size, 429 with
``Retry-After`` for the concurrent-jobs limit, and the problem names the quota, its limit, the value seen
and the env var that raises it. docs/security.md lists them with the test that proves each one.
"""

from __future__ import annotations

from dataclasses import dataclass

from service.config import Settings
from service.errors import QuotaExceeded

JOBS_RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class Quota:
    setting: str  # the Settings attribute; its env var is ADVISOR_ + setting.upper()
    what: str  # what the number counts, for the message
    instead: str  # what the client can do instead of asking an operator

    @property
    def env(self) -> str:
        return f"ADVISOR_{self.setting.upper()}"


QUOTAS: dict[str, Quota] = {
    "chunks_per_document": Quota("quota_chunks_per_document", "chunks of one document", "split the document"),
    "chunks_per_kb": Quota("quota_chunks_per_kb", "chunks in the knowledge base", "delete documents or use another one"),
    "pdf_pages": Quota("quota_pdf_pages", "pages of one PDF", "split the PDF"),
    "dataset_mb": Quota("quota_dataset_mb", "MiB of stored datasets", "delete datasets you no longer need"),
    "evaluation_items": Quota("quota_evaluation_items", "evaluation items in one request", "send them in several requests"),
    "few_shot_examples": Quota("quota_few_shot_examples", "candidate examples in one request", "send fewer candidates"),
    "concurrent_jobs": Quota("quota_concurrent_jobs", "queued and running jobs", "wait for one to finish"),
}


def limit(settings: Settings, name: str) -> int:
    value: int = getattr(settings, QUOTAS[name].setting)
    return value


def exceeded(settings: Settings, name: str, seen: int | float, *, field: str | None = None) -> QuotaExceeded:
    """The error for ``seen`` over quota ``name`` (429 with Retry-After for the concurrent-jobs quota)."""
    quota, allowed = QUOTAS[name], limit(settings, name)
    shown = f"{seen:,.1f}" if isinstance(seen, float) else f"{seen:,}"
    message = (
        f"Quota {name}: {shown} {quota.what} is over the limit of {allowed:,}; {quota.instead}, "
        f"or an operator raises {quota.env}."
    )
    details = {"name": name, "limit": allowed, "value": seen, "env": quota.env}
    if name == "concurrent_jobs":
        headers = {"Retry-After": str(JOBS_RETRY_AFTER_SECONDS)}
        return QuotaExceeded(message, quota=details, status=429, field=field, headers=headers)
    return QuotaExceeded(message, quota=details, field=field)


def check(settings: Settings, name: str, seen: int, *, field: str | None = None) -> None:
    """Raise ``exceeded`` when ``seen`` is over quota ``name``."""
    if seen > limit(settings, name):
        raise exceeded(settings, name, seen, field=field)
