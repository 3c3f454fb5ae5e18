"""Builders of small training files shared by the dataset tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def chat(question: str, answer: str, system: str | None = None) -> dict[str, Any]:
    """One OpenAI chat example."""
    messages = [{"role": "system", "content": system}] if system else []
    return {"messages": [*messages, {"role": "user", "content": question}, {"role": "assistant", "content": answer}]}


def clean_lines(n: int = 12) -> list[str]:
    """``n`` distinct valid chat examples as JSONL lines."""
    return [json.dumps(chat(f"Question number {i} about bikes?", f"Answer number {i} about bikes.")) for i in range(n)]
