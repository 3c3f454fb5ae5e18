"""Streaming validation of a fine-tuning file: one line in memory at a time, findings with line numbers."""

from __future__ import annotations

import datetime as dt
import math
from array import array
from collections import Counter
from pathlib import Path
from typing import BinaryIO

from knowledge.loader import ProviderEntry
from rules.economics import default_epochs
from service.datasets import formats, personal, targets
from service.datasets.conversation import Conversation, digest
from service.datasets.counting import Count, count_conversation
from service.datasets.formats import Checked
from service.datasets.reader import Progress, TrainingFile
from service.datasets.schemas import DatasetReport, Finding, TokenStats
from service.datasets.targets import resolve_target
from service.providers.tokens import TokenCounter, encoding_for_model

MAX_LISTED = 100  # per code: a broken 1M-line file must not produce a 1M-item report
QUALITY_EXAMPLES = 100
ENCODING_COLLAPSE = 5  # this many undecodable lines, most of the file: one finding for the file instead
LOSS_WORDS = {
    "turns_merged": "had consecutive turns of one role merged",
    "trailing_turns_dropped": "lost the turns after their last answer",
    "system_flattened": "had the system prompt flattened into the prompt text",
    "history_flattened": "had earlier turns flattened into a transcript",
    "weights_dropped": "lost per-message weights",
    "text_beside_tool_call_dropped": "lost assistant text written beside a tool call",
}


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
        return any(formats.severity(code) == "error" for code, n in self.counts.items() if n)

    def collapse(self, code: str, message: str) -> None:
        """Replace every finding of ``code`` by one for the whole file."""
        self.listed = [f for f in self.listed if f.code != code]
        self.counts[code] = 0
        self.add(code, None, message)


def _personal_data(number: int, text: str, found: _Scan) -> None:
    if kinds := personal.kinds(text):
        found.add("personal_data", number, f"Contains {' and '.join(kinds)}; remove or mask personal data before training.")


def _example_key(result: Checked, conversation: Conversation) -> int | bytes:
    """Equal for examples that train the same thing; convert drops the same ones."""
    if result.example is not None:
        # A 64-bit hash of the normalized turns: ~1e-8 chance of a false duplicate in 1M examples,
        # at a tenth of the cost of hashing canonical JSON.
        return hash(result.example)
    return digest(conversation)


class _Tally:
    """Per-format counts of one pass: lines seen, billed tokens of valid examples, and their parts."""

    def __init__(self) -> None:
        self.lines: dict[str, array[int]] = {}  # format -> every line detected in it
        self.tokens: dict[str, array[int]] = {}  # format -> tokens of each valid example
        self.parts: dict[str, Counter[str]] = {}  # format -> tool definition / media totals
        self.estimated: dict[str, set[str]] = {}
        self.reasons: dict[str, str] = {}
        self.losses: dict[str, Counter[str]] = {}

    def valid(self, fmt: str, count: Count, losses: list[str]) -> None:
        self.tokens.setdefault(fmt, array("I")).append(count.total)
        parts = self.parts.setdefault(fmt, Counter())
        parts.update(
            tool_definition_tokens=count.tool_definitions, media_items=count.media_items, media_tokens=count.media_tokens
        )
        self.estimated.setdefault(fmt, set()).update(count.estimated)
        self.losses.setdefault(fmt, Counter()).update(set(losses))


def validate_file(
    source: Path | str | BinaryIO,
    *,
    provider: str = "openai",
    model: str | None = None,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> DatasetReport:
    """Check a JSONL, JSON-array or CSV training file for ``provider``/``model`` without loading it whole.

    ``today`` picks the default model when none is given; the CLI and scripts that pass none check as of the real date.
    """
    entry, model = resolve_target(provider, model, today or dt.date.today())
    model_entry = entry.model(model)
    counter: TokenCounter = encoding_for_model(model or "")
    max_tokens = model_entry.max_example_tokens if model_entry else 0
    found = _Scan()
    training_file = TrainingFile(source, found.add, progress)
    tally = _Tally()
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
        tally.lines.setdefault(result.format, array("I")).append(number)
        tally.reasons.setdefault(result.format, result.reason)
        conversation = result.conversation
        if conversation is None:
            continue  # the line has an error
        target = targets.target_for(entry.fine_tuning.formats, result.format)
        blocking = False
        for code, message in targets.problems(conversation, target):
            found.add(code, number, message)
            blocking |= formats.severity(code) == "error"
        if blocking:
            continue
        if result.messages is not None and result.example is not None:
            count = Count(counter.messages(result.messages))  # OpenAI chat as written: the cookbook's exact count
        else:
            count = count_conversation(conversation, counter, target)
        if max_tokens and count.total > max_tokens:
            found.add(
                "example_too_long", number, f"Example has {count.total} tokens; {model} allows {max_tokens}. Shorten or split it."
            )
            continue
        first = seen.setdefault(_example_key(result, conversation), number)
        if first != number:
            found.add("duplicate_example", number, f"Duplicates line {first}; delete this copy.")
            continue
        if result.short_answer:
            found.add(
                "short_answer",
                number,
                "The answer is under 3 characters: fine for labels, otherwise the model learns to be terse.",
            )
        losses = [] if result.format in targets.ACCEPTS[target] else targets.write(conversation, target)[1]
        tally.valid(result.format, count, losses)
    fmt = max(tally.lines, key=lambda f: len(tally.lines[f])) if tally.lines else None
    for other, numbers in tally.lines.items():
        if other != fmt:
            for number in numbers:
                found.add("mixed_formats", number, f"Line is {other} but the file is {fmt}; convert it or remove it.")
    counts = sorted(tally.tokens.get(fmt or "", array("I")))
    target_format = targets.target_for(entry.fine_tuning.formats, fmt) if fmt else None
    _file_findings(found, training_file, entry, model, fmt, target_format, len(counts), model_entry is not None)
    lost = dict(tally.losses.get(fmt or "", Counter()))
    if lost and fmt and target_format and fmt not in targets.ACCEPTS[target_format]:
        what = "; ".join(f"{n:,} line{'s' if n != 1 else ''} {LOSS_WORDS.get(k, k)}" for k, n in sorted(lost.items()))
        found.add("lossy_conversion", None, f"Converted to {target_format}: {what}.")
    report = _report(found, fmt, training_file, counts, counter, entry, model, tally)
    return report.model_copy(
        update={
            "records": training_file.records,
            "format_reason": tally.reasons.get(fmt or ""),
            "target_format": target_format,
            "formats_seen": {f: len(lines) for f, lines in tally.lines.items()},
            "conversion_losses": lost,
        }
    )


def _file_findings(
    found: _Scan,
    training_file: TrainingFile,
    entry: ProviderEntry,
    model: str | None,
    fmt: str | None,
    target: str | None,
    n: int,
    known_model: bool,
) -> None:
    undecodable = found.counts["encoding_error"]
    if undecodable >= ENCODING_COLLAPSE and undecodable * 2 >= training_file.records:
        found.collapse(
            "encoding_error",
            f"{undecodable:,} of {training_file.records:,} lines are not UTF-8: the file is in another encoding "
            "(Windows-1252 or Latin-1?); re-save it as UTF-8.",
        )
    if training_file.json_array:
        found.add(
            "json_array",
            None,
            "The file is one JSON array; providers expect JSONL (one object per line). "
            f"`advisor data convert FILE --to {target or 'openai_chat'}` writes JSONL.",
        )
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
    if fmt and target and fmt not in targets.ACCEPTS[target]:
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
    tally: _Tally,
) -> DatasetReport:
    n = len(counts)
    parts = tally.parts.get(fmt or "", Counter())
    estimated = sorted(tally.estimated.get(fmt or "", set()))
    stats = TokenStats(
        exact=counter.exact and not estimated,
        tokenizer=counter.tokenizer,
        min=counts[0] if n else 0,
        median=round((counts[(n - 1) // 2] + counts[n // 2]) / 2) if n else 0,
        p95=counts[math.ceil(0.95 * n) - 1] if n else 0,
        max=counts[-1] if n else 0,
        total=sum(counts),
        tool_definition_tokens=parts["tool_definition_tokens"],
        media_items=parts["media_items"],
        media_tokens=parts["media_tokens"],
        estimated_parts=(
            [] if counter.exact else [f"text: {counter.tokenizer.split(' ')[0]} stands in for the model's tokenizer"]
        )
        + estimated,
    )
    epochs = default_epochs(n) if n >= 1 else None  # the cookbook heuristic (rules/economics.py)
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
        finding_counts={code: c for code, c in found.counts.items() if c},
        findings_truncated=any(c > MAX_LISTED for c in found.counts.values()),
        tokens=stats,
        epochs=epochs,
        estimated_cost_usd=cost,
        provider=entry.provider,
        model=model,
        ok=not found.errors,
        sha256=training_file.sha256.hexdigest(),
    )
