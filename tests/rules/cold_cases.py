"""Varied profiles for the cold-path equivalence test, and the verdicts the code gave them when recorded.

The cases are generated from a fixed seed: values on and around every threshold the rules set, every provider
with its models, fields given or left to their defaults, two days and both languages. ``record()`` writes what
``decide`` answers to ``data/cold_verdicts.jsonl.gz`` (one JSON line per case); it was run on the code before the cold path
was optimised (issue 18), so the file is the reference every later change must reproduce exactly.

Record again (only when a verdict is meant to change):
    PYTHONPATH=$PWD .venv/bin/python -m tests.rules.cold_cases
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
from pathlib import Path
from typing import Any, get_args

from knowledge.loader import default_catalog
from rules import engine
from rules.facts import Profile
from rules.loading import default_rules
from rules.signatures import strategy_memo

RECORDED = Path(__file__).parent / "data" / "cold_verdicts.jsonl.gz"
SEED = 18
COUNT = 450
DAYS = (dt.date(2026, 11, 24), dt.date(2027, 2, 1))
# Values on both sides of the thresholds the rules and the what-if grid use, and a few anywhere.
NEAR = {
    "examples": (0, 1, 20, 49, 50, 99, 100, 101, 199, 200, 201, 399, 400, 999, 1000, 1001, 2000, 5000, 10_000),
    "prompt_tokens": (0, 49, 50, 300, 499, 500, 1023, 1024, 1999, 2000, 2001, 5000, 10_000, 100_000),
    "requests_per_day": (0, 1, 99, 100, 1000, 9999, 10_000, 50_000, 100_000, 1_000_000, 10_000_000),
    "input_tokens": (0, 50, 200, 999, 1000, 5000),
    "output_tokens": (0, 20, 200, 999, 1000, 5000),
}


def _number(rng: random.Random, name: str) -> int:
    roll = rng.random()
    if roll < 0.6:
        return rng.choice(NEAR[name])
    if roll < 0.9:
        return rng.randint(0, 20_000)
    return rng.randint(0, 10_000_000)


def _choices(name: str) -> tuple[Any, ...]:
    return get_args(Profile.model_fields[name].annotation)


def case(rng: random.Random, index: int) -> dict[str, Any]:
    """One case: the profile as sent (only the given fields), the day and the language."""
    catalog = default_catalog()
    profile: dict[str, Any] = {"task": f"case {index}"}
    given = rng.random()  # how many fields this team answered
    for name, info in Profile.model_fields.items():
        if name in ("task", "model") or rng.random() > given:
            continue
        if name in NEAR:
            profile[name] = _number(rng, name)
        elif info.annotation is bool:
            profile[name] = rng.random() < 0.5
        else:
            profile[name] = rng.choice(_choices(name))
    if index % 3 == 0:  # a team that has tried prompting and has data: the tuned strategies and their what-ifs
        profile["prompting_status"] = rng.choice(("insufficient", "works"))
        profile["examples"] = rng.choice((100, 200, 500, 1000, 1001, 5000, 20_000))
        profile["example_quality"] = rng.choice(("high", "high", "mixed"))
        for name in ("custom_style", "strict_format", "domain_language", "narrow_task"):
            profile[name] = rng.random() < 0.4
    provider = profile.get("provider", "undecided")
    if provider != "undecided" and rng.random() < 0.5:
        profile["model"] = rng.choice([model.id for model in catalog.providers[provider].models])
    return {
        "profile": profile,
        "day": rng.choice(DAYS).isoformat(),
        "lang": "he" if rng.random() < 0.15 else "en",
        "with_counterfactuals": rng.random() < 0.95,
    }


def cases() -> list[dict[str, Any]]:
    rng = random.Random(SEED)
    return [case(rng, index) for index in range(COUNT)]


def verdict_of(item: dict[str, Any], *, cold_memo: bool = False) -> dict[str, Any]:
    """What ``decide`` answers for a case as a never-seen profile (the per-profile caches emptied first)."""
    engine._VERDICTS.clear()
    engine._WHATIF_CACHE.clear()
    if cold_memo:
        strategy_memo(default_rules()).clear()
    verdict = engine.decide(
        Profile.model_validate(item["profile"]),
        default_catalog(),
        today=dt.date.fromisoformat(item["day"]),
        lang=item["lang"],
        with_counterfactuals=item["with_counterfactuals"],
    )
    return verdict.model_dump(mode="json")


def record(path: Path = RECORDED) -> None:
    lines = [json.dumps({"case": item, "verdict": verdict_of(item)}, ensure_ascii=False, sort_keys=True) for item in cases()]
    # mtime=0: the same verdicts give the same bytes.
    path.write_bytes(gzip.compress(("\n".join(lines) + "\n").encode("utf-8"), mtime=0))


def recorded(path: Path = RECORDED) -> list[dict[str, Any]]:
    text = gzip.decompress(path.read_bytes()).decode("utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


if __name__ == "__main__":
    record()
