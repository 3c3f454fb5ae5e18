"""What an experiment costs: prices from the catalog, tokens counted before it runs and reported after each call.

OpenAI models are counted with their tokenizer (``providers.tokens``); other models with a character
estimate (about four characters a token), which is what the estimate is: an estimate. A self-hosted
openai_compatible target costs nothing unless the request gives its prices.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from knowledge.loader import default_catalog
from service.providers.tokens import encoding_for_model

CHARS_PER_TOKEN = 4
OUTPUT_OVERHEAD_TOKENS = 16  # an answer is rarely exactly the expected text: a little preamble, a newline
GROUNDED_CONTEXT_TOKENS = 2500  # five retrieved chunks and the instructions, before the search has run
JUDGE_FRAME_TOKENS = 40  # the judge's instructions and the headings around rubric, input, expected and answer
JUDGE_OUTPUT_TOKENS = 2  # "PASS", "FAIL" or a number


@dataclass(frozen=True)
class Rates:
    input_per_mtok: float
    output_per_mtok: float

    def usd(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1_000_000

    def as_dict(self) -> dict[str, float]:
        return {"input_per_mtok": self.input_per_mtok, "output_per_mtok": self.output_per_mtok}


def rates(target: dict[str, Any], model: str, today: dt.date) -> Rates | None:
    """USD per million tokens for ``model`` at the target's provider; None when the catalog has no price."""
    provider = target["provider"]
    if provider == "openai_compatible":
        return Rates(target.get("input_per_mtok") or 0.0, target.get("output_per_mtok") or 0.0)
    entry = default_catalog().providers.get(provider)
    if entry is None:
        return None
    tuned = model.startswith("ft:") or model.startswith("projects/")
    base = model.removeprefix("ft:").split(":")[0] if model.startswith("ft:") else model
    found = entry.model(base, today)
    if found is None:
        return None
    if tuned and found.tuned_price is not None:
        return Rates(found.tuned_price.input_per_mtok, found.tuned_price.output_per_mtok)
    return Rates(found.price.input_per_mtok, found.price.output_per_mtok) if found.price else None


def counter(provider: str, model: str) -> Callable[[str], int]:
    """Tokens of a text for ``model``: exact for OpenAI's tokenizers, else characters / 4."""
    if provider == "openai":
        tokens = encoding_for_model(model)
        if tokens.exact:
            return tokens.text
    return lambda text: -(-len(text) // CHARS_PER_TOKEN)


def _judge_usd(target: dict[str, Any], item: dict[str, Any], answer: int, today: dt.date) -> float | None:
    """What the rubric grader's judge costs for one answer of ``answer`` tokens; 0 for other graders."""
    spec = item["grader"]
    if spec.get("type") != "rubric":
        return 0.0
    judge = spec.get("judge") or target
    price = rates(judge, judge["model"], today)
    if price is None:
        return None
    count = counter(judge["provider"], judge["model"])
    read = JUDGE_FRAME_TOKENS + count(spec["rubric"]) + count(item["input"]) + count(item["expected"]) + answer
    return price.usd(read, JUDGE_OUTPUT_TOKENS)


def estimate(target: dict[str, Any], plan: dict[str, Any], today: dt.date) -> float | None:
    """USD for every candidate on every item, with a rubric grader's judge; None when some model has no price."""
    total = 0.0
    for candidate in plan["candidates"]:
        price = rates(target, candidate["model"], today)
        if price is None:
            return None
        count = counter(target["provider"], candidate["model"])
        prefix = count(candidate.get("system") or "") + sum(count(u) + count(a) for u, a in candidate.get("shots", []))
        if candidate["kind"] == "grounded":
            prefix += GROUNDED_CONTEXT_TOKENS
        for item in plan["items"]:
            output = min(plan["max_tokens"], count(item["expected"]) + OUTPUT_OVERHEAD_TOKENS)
            judged = _judge_usd(target, item, output, today)
            if judged is None:
                return None
            total += price.usd(prefix + count(item["input"]), output) + judged
    return round(total, 10)
