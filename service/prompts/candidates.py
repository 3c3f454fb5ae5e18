"""Few-shot candidates from a file: JSONL lines of ``{input, output}``, or any training format the dataset
validator reads, where the last answer is the output and everything before it the input."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from service.datasets import formats
from service.datasets.reader import TrainingFile
from service.prompts.schemas import MAX_CANDIDATES, Candidate

_LABELS = {"user": "User", "assistant": "Assistant"}


def _pair(obj: Any) -> tuple[str, str] | None:
    if isinstance(obj, dict):
        given, expected = obj.get("input"), obj.get("output")
        if isinstance(given, str) and isinstance(expected, str):
            return (given, expected) if given.strip() and expected.strip() else None
    if obj is None:
        return None
    example = formats.check(obj).example
    if example is None:
        return None
    last = max((i for i, (role, _) in enumerate(example.turns) if role == "assistant"), default=-1)
    history = example.turns[:last]
    if last < 1 or not history:
        return None
    if len(history) == 1:
        return history[0][1], example.turns[last][1]
    return "\n\n".join(f"{_LABELS[role]}: {text}" for role, text in history), example.turns[last][1]


def _utf8(text: str) -> str:
    # A JSON line may hold a lone surrogate (an escaped \ud800); it could not be sent on as UTF-8, so it becomes "?".
    return text.encode("utf-8", "replace").decode("utf-8")


def candidates_from_file(source: Path | str, limit: int = MAX_CANDIDATES) -> tuple[list[Candidate], list[str]]:
    """The usable examples of a file (ids are line numbers, the first ``limit``), and notes on what was left out."""
    found: list[Candidate] = []
    skipped = 0
    more = False
    for line, _text, obj in TrainingFile(source, lambda code, line, message: None).objects():
        pair = _pair(obj)
        if pair is None:
            skipped += 1
        elif len(found) < limit:
            found.append(Candidate(line, _utf8(pair[0]), _utf8(pair[1])))
        else:
            more = True
            break
    notes = []
    if skipped:
        notes.append(f"{skipped} line(s) were not usable examples (no answer, errors, tool calls or media) and were skipped.")
    if more:
        notes.append(f"Only the first {limit:,} usable examples were considered.")
    return found, notes
