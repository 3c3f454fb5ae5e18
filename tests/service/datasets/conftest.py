"""Fixtures of the dataset tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def write_jsonl(tmp_path: Path) -> Callable[..., Path]:
    """Write raw lines (already serialized) to a new .jsonl file, one per line."""
    counter = iter(range(1_000_000))

    def write(lines: list[str], name: str | None = None) -> Path:
        path = tmp_path / (name or f"data{next(counter)}.jsonl")
        path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        return path

    return write
