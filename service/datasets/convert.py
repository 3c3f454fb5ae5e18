"""Write the valid examples of a training file in another provider's format, deduplicated and split."""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, TextIO

from service.datasets import formats, targets
from service.datasets.codes import severity
from service.datasets.conversation import digest, example_of, trimmed
from service.datasets.formats import Checked
from service.datasets.reader import Report, TrainingFile
from service.datasets.schemas import TARGET_FORMATS, ConversionResult, Example, Finding, TargetFormat
from service.datasets.targets import TARGETS
from service.errors import ValidationFailed

LISTED = 100


def iter_checked(source: Path | str | BinaryIO, report: Report | None = None) -> Iterator[tuple[int, Checked | None]]:
    """Each non-blank line with its check result; None for a line that isn't readable."""
    for number, _text, obj in TrainingFile(source, report or (lambda code, line, message: None)).objects():
        yield number, formats.check(obj) if obj is not None else None


def iter_examples(source: Path | str | BinaryIO) -> Iterator[tuple[int, Example | None]]:
    """Each non-blank line with its text-only example; None when it has errors, tool calls, media or no roles."""
    for number, checked in iter_checked(source):
        conversation = checked.conversation if checked is not None else None
        example = example_of(trimmed(conversation)[0]) if conversation is not None else None
        yield number, example


def _share(key: bytes, seed: int) -> float:
    """A number in [0, 1) fixed by the example and the seed: the split needs no second pass or RNG state."""
    digest = hashlib.blake2b(key, digest_size=8, key=str(seed).encode()[:64]).digest()
    return int.from_bytes(digest, "big") / 2**64


def _open_out(path: Path) -> TextIO:
    # A lone surrogate (from a "\ud800" escape in the input) comes out as the same JSON escape.
    return path.open("w", encoding="utf-8", errors="backslashreplace", newline="\n")


def _move_line(source: Path, index: int, target: Path) -> None:
    """Move line ``index`` of ``source`` to the end of ``target``, streaming."""
    partial = source.with_name(source.name + ".tmp")
    with source.open(encoding="utf-8") as reader, partial.open("w", encoding="utf-8", newline="\n") as writer:
        for i, line in enumerate(reader):
            if i == index:
                with target.open("a", encoding="utf-8", newline="\n") as moved:
                    moved.write(line)
            else:
                writer.write(line)
    os.replace(partial, source)


class _Dropped:
    """Why lines were not written: the first LISTED per code, all counted."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []
        self.counts: Counter[str] = Counter()

    def add(self, code: str, line: int | None, message: str) -> None:
        if severity(code) != "error":
            return
        self.counts[code] += 1
        if self.counts[code] <= LISTED:
            self.findings.append(Finding(code=code, line=line, severity="error", message=message))


def convert_file(
    source: Path | str | BinaryIO,
    to: TargetFormat | str,
    out_dir: Path | str,
    *,
    validation_fraction: float = 0.1,
    seed: int = 42,
) -> ConversionResult:
    """Write ``train.jsonl`` (and ``validation.jsonl`` when the fraction is > 0) in format ``to``."""
    if to not in TARGETS:
        raise ValidationFailed(f"Unknown format {to!r}; use one of: {', '.join(TARGET_FORMATS)}.", field="to")
    if not 0 <= validation_fraction < 1:
        raise ValidationFailed("validation_fraction must be at least 0 and below 1.", field="validation_fraction")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"train": out / "train.jsonl", "validation": out / "validation.jsonl"}
    count = {"train": 0, "validation": 0}
    # The example each split would give up first if the other one ends up empty: (share, line index).
    edge = {"train": (2.0, -1), "validation": (-1.0, -1)}
    seen: set[bytes] = set()
    dropped = duplicates = 0
    why = _Dropped()
    losses: Counter[str] = Counter()
    files = {"train": _open_out(paths["train"])}
    if validation_fraction > 0:
        files["validation"] = _open_out(paths["validation"])
    try:
        for number, checked in iter_checked(source, why.add):
            conversation = checked.conversation if checked is not None else None
            if checked is not None:
                for code, message in checked.problems:
                    why.add(code, number, message)
            problems = targets.problems(conversation, to) if conversation is not None else []
            for code, message in problems:
                why.add(code, number, message)
            if conversation is None or any(severity(code) == "error" for code, _ in problems):
                dropped += 1
                continue
            key = digest(conversation)
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
            record, lost = targets.write(conversation, to)
            losses.update(set(lost))
            share = _share(key, seed)
            split = "validation" if share < validation_fraction else "train"
            files[split].write(json.dumps(record, ensure_ascii=False) + "\n")
            if (split == "train" and share < edge["train"][0]) or (split == "validation" and share > edge["validation"][0]):
                edge[split] = (share, count[split])
            count[split] += 1
    finally:
        for handle in files.values():
            handle.close()
    total = count["train"] + count["validation"]
    if validation_fraction > 0 and total >= 2:
        for empty, full in (("validation", "train"), ("train", "validation")):
            if count[empty] == 0:
                _move_line(paths[full], edge[full][1], paths[empty])
                count[empty], count[full] = 1, count[full] - 1
    return ConversionResult(
        to=to,
        train_path=paths["train"],
        validation_path=paths["validation"] if validation_fraction > 0 else None,
        train=count["train"],
        validation=count["validation"],
        dropped=dropped,
        duplicates=duplicates,
        losses=dict(losses),
        findings=why.findings,
        finding_counts=dict(why.counts),
    )
