"""Streaming validation of a fine-tuning file: one line in memory at a time, findings with line numbers."""

from __future__ import annotations

import hashlib
import json
import math
import re
from array import array
from collections import Counter
from pathlib import Path
from typing import BinaryIO

from knowledge.loader import ProviderEntry, default_catalog
from service.datasets import formats
from service.datasets.formats import Checked
from service.datasets.reader import Progress, TrainingFile
from service.datasets.schemas import DatasetReport, Finding, TokenStats
from service.datasets.tokens import TokenCounter, encoding_for_model
from service.errors import ValidationFailed

MAX_LISTED = 100  # per code: a broken 1M-line file must not produce a 1M-item report
QUALITY_EXAMPLES = 100
# A provider's upload format, and the detected formats that already are that format.
ACCEPTS: dict[str, set[str]] = {
    "openai_chat": {"openai_chat"},
    "gemini_contents": {"gemini_contents"},
    "anthropic_bedrock": {"anthropic_bedrock"},
    "trl_messages": {"openai_chat"},
    "prompt_completion": {"instruction"},
}
_EMAIL = re.compile(r"[\w.+-]+@([\w-]+\.)+[A-Za-z]{2,}")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ -]?)?(?:\(\d{2,4}\)[ -]?|\d{2,4}[ -])\d{3,4}[ -]\d{3,4}(?!\w)|\+\d{9,15}\b")
_DOC_DOMAINS = ("@example.com", "@example.org", "@example.net")
_DIGITS = b"0123456789"


def epochs_for(n: int) -> int | None:
    """OpenAI cookbook default: 3 epochs, raised for small sets, lowered for big ones."""
    if n < 1:
        return None
    if n * 3 < 100:
        return min(25, 100 // n)
    if n * 3 > 25_000:
        return max(1, 25_000 // n)
    return 3


class _Scan:
    """Findings of one pass: at most MAX_LISTED listed per code, all counted."""

    def __init__(self) -> None:
        self.listed: list[Finding] = []
        self.counts: Counter[str] = Counter()

    def add(self, code: str, line: int | None, message: str) -> None:
        self.counts[code] += 1
        if self.counts[code] <= MAX_LISTED:
            self.listed.append(Finding(code=code, line=line, severity=formats.severity(code), message=message))

    @property
    def errors(self) -> bool:
        return any(formats.severity(code) == "error" for code in self.counts)


def _personal_data(number: int, text: str, found: _Scan) -> None:
    # Cheap prefilters first: the regexes cost more than json.loads on a typical line.
    email = "@" in text and next((m for m in _EMAIL.finditer(text) if not m.group(0).lower().endswith(_DOC_DOMAINS)), None)
    raw = text.encode()
    phone = len(raw) - len(raw.translate(None, _DIGITS)) >= 9 and _PHONE.search(text)
    kinds = [kind for kind, hit in (("an email address", email), ("a phone number", phone)) if hit]
    if kinds:
        found.add(
            "personal_data",
            number,
            f"Line {number} contains {' and '.join(kinds)}; remove or mask personal data before training.",
        )


def _example_key(result: Checked) -> int | bytes:
    """Equal for examples that train the same thing; convert drops the same ones."""
    if result.example is not None:
        # A 64-bit hash of the normalized turns: ~1e-8 chance of a false duplicate in 1M examples,
        # at a tenth of the cost of hashing canonical JSON.
        return hash(result.example)
    return hashlib.blake2b(json.dumps(result.messages, sort_keys=True).encode(), digest_size=16).digest()


def resolve_target(provider: str, model: str | None) -> tuple[ProviderEntry, str | None]:
    """The catalog entry of ``provider`` and the model to check for (its default when None)."""
    try:
        entry = default_catalog().provider(provider)
    except KeyError:
        known = ", ".join(default_catalog().providers)
        raise ValidationFailed(f"Unknown provider {provider!r}; use one of: {known}.", field="provider") from None
    if model is None:
        default = entry.default_model()
        model = default.id if default else None
    return entry, model


def validate_file(
    source: Path | str | BinaryIO,
    *,
    provider: str = "openai",
    model: str | None = None,
    progress: Progress | None = None,
) -> DatasetReport:
    """Check a JSONL or CSV training file for ``provider``/``model`` without loading it whole."""
    entry, model = resolve_target(provider, model)
    model_entry = entry.model(model)
    counter: TokenCounter = encoding_for_model(model or "")
    max_tokens = model_entry.max_example_tokens if model_entry else 0
    found = _Scan()
    training_file = TrainingFile(source, found.add, progress)
    every: dict[str, array[int]] = {}  # format -> every line detected in it
    valid: dict[str, array[int]] = {}  # format -> token count of each valid example
    seen: dict[int | bytes, int] = {}  # example hash -> first line: the only per-example memory besides counts
    for number, text, obj in training_file.objects():
        if obj is None:
            continue
        _personal_data(number, text, found)
        result: Checked = formats.check(obj)
        for code, message in result.problems:
            found.add(code, number, message)
        if result.format is None:
            continue
        every.setdefault(result.format, array("I")).append(number)
        if result.messages is not None:  # OpenAI chat: count what OpenAI bills, tool calls included
            tokens = counter.messages(result.messages)
        elif result.example is not None:
            tokens = counter.turns(result.example.system, result.example.turns)
        else:
            continue  # the line has an error
        if max_tokens and tokens > max_tokens:
            found.add(
                "example_too_long", number, f"Example has {tokens} tokens; {model} allows {max_tokens}. Shorten or split it."
            )
            continue
        first = seen.setdefault(_example_key(result), number)
        if first != number:
            found.add("duplicate_example", number, f"Duplicates line {first}; delete this copy.")
            continue
        if result.short_answer:
            found.add(
                "short_answer",
                number,
                "The answer is under 3 characters: fine for labels, otherwise the model learns to be terse.",
            )
        valid.setdefault(result.format, array("I")).append(tokens)
    fmt = max(every, key=lambda f: len(every[f])) if every else None
    for other, numbers in every.items():
        if other != fmt:
            for number in numbers:
                found.add("mixed_formats", number, f"Line is {other} but the file is {fmt}; convert it or remove it.")
    counts = sorted(valid.get(fmt or "", array("I")))
    _file_findings(found, entry, model, fmt, len(counts), model_entry is not None)
    return _report(found, fmt, training_file, counts, counter, entry, model)


def _file_findings(found: _Scan, entry: ProviderEntry, model: str | None, fmt: str | None, n: int, known_model: bool) -> None:
    tuning = entry.fine_tuning
    required = max(1, tuning.min_examples)
    if n < required:
        found.add(
            "too_few_examples",
            None,
            f"{n} valid examples; {entry.display_name} needs at least {required}. Add examples or fix the errors.",
        )
    elif n < (tuning.recommended_examples or QUALITY_EXAMPLES):
        found.add(
            "few_examples_for_quality",
            None,
            f"{n} valid examples; {tuning.recommended_examples or QUALITY_EXAMPLES}+ usually give a clear gain.",
        )
    if not tuning.supported:
        found.add(
            "cannot_fine_tune",
            None,
            f"{entry.display_name} models cannot be fine-tuned; use {tuning.alternative or 'prompting or RAG'}.",
        )
    elif tuning.status == "winding_down" and (end := entry.fine_tuning_end()):
        found.add(
            "fine_tuning_ending",
            None,
            f"{entry.display_name} stops new fine-tuning jobs on {end}; alternative: {tuning.alternative}.",
        )
    if model and not known_model:
        found.add("unknown_model", None, f"Model {model!r} is not in the catalog: no length limit or price checked.")
    if fmt and tuning.formats and not any(fmt in ACCEPTS.get(f, set()) for f in tuning.formats):
        target = tuning.formats[0]
        found.add(
            "format_needs_conversion",
            None,
            f"{entry.display_name} expects {target}; run `advisor data convert FILE --to {target}`.",
        )


def _report(
    found: _Scan,
    fmt: str | None,
    training_file: TrainingFile,
    counts: list[int],
    counter: TokenCounter,
    entry: ProviderEntry,
    model: str | None,
) -> DatasetReport:
    n = len(counts)
    stats = TokenStats(
        exact=counter.exact,
        tokenizer=counter.tokenizer,
        min=counts[0] if n else 0,
        median=round((counts[(n - 1) // 2] + counts[n // 2]) / 2) if n else 0,
        p95=counts[math.ceil(0.95 * n) - 1] if n else 0,
        max=counts[-1] if n else 0,
        total=sum(counts),
    )
    epochs = epochs_for(n)
    model_entry = entry.model(model)
    price = model_entry.tuned_price if model_entry else None
    cost = round(price.training_per_mtok * stats.total * epochs / 1e6, 4) if price and epochs else None
    listed = sorted(found.listed, key=lambda f: (f.line is not None, f.line or 0))
    return DatasetReport(
        format=fmt,
        file_type=training_file.file_type,
        examples=n,
        lines=training_file.lines,
        findings=listed,
        finding_counts=dict(found.counts),
        findings_truncated=any(c > MAX_LISTED for c in found.counts.values()),
        tokens=stats,
        epochs=epochs,
        estimated_cost_usd=cost,
        provider=entry.provider,
        model=model,
        ok=not found.errors,
        sha256=training_file.sha256.hexdigest(),
    )
