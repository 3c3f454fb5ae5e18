"""Pydantic models of a dataset report and a conversion result, and the normalized example."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from rules.facts import Count

# A multipart field is text whatever was meant: a client's 4305, true, null or {"a": 1} arrives as that text. A
# model name is never one of those, so the pattern refuses what reads as a JSON number, literal, object or array
# (the upload route checks it with `re`; pydantic's engine has no look-ahead). Empty means "not given".
MODEL_NAME_PATTERN = (
    r"^(?:(?!(?:true|false|null)$)(?!-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$)[A-Za-z0-9][A-Za-z0-9._:/@+-]*)?$"
)
MODEL_NAME_MAX = 200

Severity = Literal["error", "warning"]
DatasetFormat = Literal[
    "openai_chat",
    "instruction",
    "author_chat",
    "gemini_contents",
    "anthropic_bedrock",
    "trl_messages",
    "trl_prompt_completion",
    "trl_text",
    "alpaca",
    "sharegpt",
    "nova_conversation",
]
TargetFormat = Literal[
    "openai_chat",
    "gemini_contents",
    "anthropic_bedrock",
    "trl_messages",
    "prompt_completion",
    "alpaca",
    "sharegpt",
    "nova_conversation",
    "trl_text",
]
TARGET_FORMATS: tuple[TargetFormat, ...] = (
    "openai_chat",
    "gemini_contents",
    "anthropic_bedrock",
    "trl_messages",
    "prompt_completion",
    "alpaca",
    "sharegpt",
    "nova_conversation",
    "trl_text",
)


class Example(NamedTuple):
    """One training example in provider-neutral form: roles are only ``user`` and ``assistant``."""

    system: str | None
    turns: tuple[tuple[str, str], ...]


class _Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Finding(_Frozen):
    """One problem in a training file; ``line`` is 1-based, None for the whole file."""

    code: str
    line: int | None
    severity: Severity
    message: str


class TokenStats(_Frozen):
    """Token counts per valid example, everything the provider bills; ``exact`` is False when any part is estimated."""

    exact: bool
    tokenizer: str
    min: int = 0
    median: int = 0
    p95: int = 0
    max: int = 0
    total: int = 0
    tool_definition_tokens: int = Field(default=0, description="Part of total: the tools declared on each line.")
    media_items: int = Field(default=0, description="Images, videos, audio and documents the valid examples reference.")
    media_tokens: int = Field(default=0, description="Part of total: a per-item estimate for the media.")
    estimated_parts: list[str] = Field(default_factory=list, description="What in the count is estimated, and how.")


class DatasetReport(_Frozen):
    """What ``validate_file`` found in a training file."""

    format: DatasetFormat | None = Field(description="The majority format of the file; None when no line was recognizable.")
    file_type: Literal["jsonl", "csv"]
    examples: int = Field(description="Examples without any error, in the majority format.")
    lines: int
    findings: list[Finding]
    finding_counts: dict[str, int] = Field(description="Findings per code, including those beyond the listed ones.")
    findings_truncated: bool = Field(description="True when some findings of a frequent code were not listed.")
    tokens: TokenStats
    epochs: int | None = Field(description="OpenAI's default epoch heuristic for this many examples; None for 0.")
    estimated_cost_usd: float | None
    provider: str
    model: str | None
    ok: bool
    sha256: str
    records: int = Field(default=0, description="Non-blank lines, CSV rows or JSON-array elements read as examples.")
    format_reason: str | None = Field(default=None, description="Why the majority format was recognized.")
    target_format: str | None = Field(
        default=None, description="The format the lines were checked against: what `convert --to` should name."
    )
    formats_seen: dict[str, int] = Field(default_factory=dict, description="Lines per recognized format.")
    conversion_losses: dict[str, int] = Field(
        default_factory=dict, description="Valid lines per kind of information converting to target_format would lose."
    )


class ConversionResult(_Frozen):
    """What ``convert_file`` wrote."""

    to: TargetFormat
    train_path: Path
    validation_path: Path | None
    train: int
    validation: int
    dropped: int = Field(description="Lines not written: invalid, blank or not representable in the target.")
    duplicates: int = Field(description="Later copies of an example already written.")
    losses: dict[str, int] = Field(default_factory=dict, description="Written lines per kind of information the target lost.")
    findings: list[Finding] = Field(default_factory=list, description="Why lines were dropped (the first ones per code).")
    finding_counts: dict[str, int] = Field(default_factory=dict)


class DatasetSummary(BaseModel):
    model_config = ConfigDict(from_attributes=True)  # built from a DatasetRow

    id: str
    filename: str
    sha256: str
    size_bytes: int
    provider: str
    model: str | None
    created_at: dt.datetime


class DatasetOut(DatasetSummary):
    report: DatasetReport


class DatasetPage(BaseModel):
    items: list[DatasetSummary]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last one.")


class ConvertRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    to: TargetFormat
    validation_fraction: float = Field(default=0.1, ge=0, lt=1)
    seed: Count = Field(default=42, ge=0, le=2**31)


class ConvertOut(BaseModel):
    to: str
    train: int
    validation: int
    dropped: int
    duplicates: int
    files: dict[str, str]
    losses: dict[str, int] = Field(default_factory=dict, description="Written lines per kind of information the target lost.")
    findings: list[Finding] = Field(default_factory=list, description="Why lines were dropped (the first ones per code).")
    finding_counts: dict[str, int] = Field(default_factory=dict)
