"""Write the valid examples of a training file in another provider's format, deduplicated and split."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, TextIO

from service.datasets import formats
from service.datasets.formats import Checked
from service.datasets.reader import TrainingFile
from service.datasets.schemas import TARGET_FORMATS, ConversionResult, Example, TargetFormat
from service.errors import ValidationFailed

Record = dict[str, Any]
_LABELS = {"user": "User", "assistant": "Assistant"}


def iter_checked(source: Path | str | BinaryIO) -> Iterator[tuple[int, Checked | None]]:
    """Each non-blank line with its check result; None for a line that isn't readable."""
    for number, _text, obj in TrainingFile(source, lambda code, line, message: None).objects():
        yield number, formats.check(obj) if obj is not None else None


def iter_examples(source: Path | str | BinaryIO) -> Iterator[tuple[int, Example | None]]:
    """Each non-blank line with its normalized example; None when it has errors or tool calls/media."""
    for number, checked in iter_checked(source):
        yield number, _trimmed(checked.example) if checked is not None and checked.example is not None else None


def _trimmed(example: Example) -> Example | None:
    """Drop turns after the last answer: no target trains on them."""
    last = max((i for i, (role, _) in enumerate(example.turns) if role == "assistant"), default=-1)
    return Example(example.system, example.turns[: last + 1]) if last >= 0 else None


def _chat_messages(example: Example) -> list[Record]:
    system = [{"role": "system", "content": example.system}] if example.system is not None else []
    return system + [{"role": role, "content": text} for role, text in example.turns]


def to_openai_chat(example: Example) -> Record | None:
    return {"messages": _chat_messages(example)}


def to_gemini_contents(example: Example) -> Record | None:
    record: Record = {}
    if example.system is not None:
        record["systemInstruction"] = {"role": "system", "parts": [{"text": example.system}]}
    record["contents"] = [
        {"role": "model" if role == "assistant" else "user", "parts": [{"text": text}]} for role, text in example.turns
    ]
    return record


def to_anthropic_bedrock(example: Example) -> Record | None:
    """Bedrock wants strictly alternating turns starting with the user: merge runs, refuse the rest."""
    merged: list[Record] = []
    for role, text in example.turns:
        if merged and merged[-1]["role"] == role:
            merged[-1]["content"] += "\n\n" + text
        else:
            merged.append({"role": role, "content": text})
    if not merged or merged[0]["role"] != "user":
        return None
    record: Record = {"system": example.system} if example.system is not None else {}
    record["messages"] = merged
    return record


def to_prompt_completion(example: Example) -> Record | None:
    """Single-turn stays as is; a conversation before the last answer becomes a labelled transcript."""
    *history, (_, completion) = example.turns
    if example.system is None and len(history) == 1:
        return {"prompt": history[0][1], "completion": completion}
    blocks = [f"System: {example.system}"] if example.system is not None else []
    blocks += [f"{_LABELS[role]}: {text}" for role, text in history]
    return {"prompt": "\n\n".join([*blocks, "Assistant:"]), "completion": completion}


WRITERS: dict[str, Callable[[Example], Record | None]] = {
    "openai_chat": to_openai_chat,
    "gemini_contents": to_gemini_contents,
    "anthropic_bedrock": to_anthropic_bedrock,
    "trl_messages": to_openai_chat,  # TRL's conversational format is OpenAI's messages list
    "prompt_completion": to_prompt_completion,
}


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


def convert_file(
    source: Path | str | BinaryIO,
    to: TargetFormat | str,
    out_dir: Path | str,
    *,
    validation_fraction: float = 0.1,
    seed: int = 42,
) -> ConversionResult:
    """Write ``train.jsonl`` (and ``validation.jsonl`` when the fraction is > 0) in format ``to``."""
    if to not in WRITERS:
        raise ValidationFailed(f"Unknown format {to!r}; use one of: {', '.join(TARGET_FORMATS)}.", field="to")
    if not 0 <= validation_fraction < 1:
        raise ValidationFailed("validation_fraction must be at least 0 and below 1.", field="validation_fraction")
    writer = WRITERS[to]
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"train": out / "train.jsonl", "validation": out / "validation.jsonl"}
    count = {"train": 0, "validation": 0}
    # The example each split would give up first if the other one ends up empty: (share, line index).
    edge = {"train": (2.0, -1), "validation": (-1.0, -1)}
    seen: set[bytes] = set()
    dropped = duplicates = 0
    files = {"train": _open_out(paths["train"])}
    if validation_fraction > 0:
        files["validation"] = _open_out(paths["validation"])
    try:
        for _number, example in iter_examples(source):
            record = writer(example) if example is not None else None
            if record is None:
                dropped += 1
                continue
            key = hashlib.blake2b(
                json.dumps(example, ensure_ascii=False).encode("utf-8", "surrogatepass"), digest_size=16
            ).digest()
            if key in seen:
                duplicates += 1
                continue
            seen.add(key)
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
    )
