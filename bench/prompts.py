"""Few-shot selection benchmark, ratios measured side by side in one run (not pass/fail).

1. Building a few-shot prompt from 1,000 candidate examples with a cold embedding cache, vs bare
   model.encode of the same 1,000 texts; goal <= 1.5x (selection and rendering are cheap next to embedding).
2. The same call again: the worker's embedding cache (Runtime.embed_cached, the code behind the worker's
   "embed" operation, run in-process here) serves every vector; goal >= 10x faster than the first call.

Usage: .venv/bin/python bench/prompts.py [--examples 1000] [--budget 4000] [--k 8]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # bench/http.py must not shadow the stdlib module
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

from service.config import Settings  # noqa: E402
from service.prompts.schemas import Candidate, FewShotRequest  # noqa: E402
from service.prompts.selection import embedding_text  # noqa: E402
from service.prompts.service import build_few_shot  # noqa: E402
from service.providers.tokens import encoding_for_model  # noqa: E402
from service.worker.runtime import Runtime  # noqa: E402

PRODUCTS = ["invoice", "login", "mobile app", "API", "export", "dashboard", "password reset", "webhook", "billing plan", "report"]
PROBLEMS = [
    "fails with an error",
    "is very slow",
    "shows the wrong numbers",
    "stopped working today",
    "is confusing",
    "times out",
]
CONTEXT = ["since the last update", "for our whole team", "only on Safari", "after I changed my plan", "when I upload a CSV", ""]
TEAMS = ["billing", "ops", "support", "product", "security"]


def examples(count: int, seed: int = 7) -> list[dict[str, str]]:
    """Support tickets of about 25-40 tokens each, with a routing label as output."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        product, problem, context = rng.choice(PRODUCTS), rng.choice(PROBLEMS), rng.choice(CONTEXT)
        text = f"Ticket {i}: the {product} {problem} {context}. Customer #{rng.randint(1000, 9999)} asks for help urgently."
        rows.append({"input": text, "output": f'{{"team": "{rng.choice(TEAMS)}", "priority": {rng.randint(1, 4)}}}'})
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=1000)
    parser.add_argument("--budget", type=int, default=4000)
    parser.add_argument("--k", type=int, default=8)
    args = parser.parse_args()
    rows = examples(args.examples)
    request = FewShotRequest.model_validate(
        {"task": "Route support tickets to a team with a priority", "examples": rows, "token_budget": args.budget, "k": args.k}
    )
    with tempfile.TemporaryDirectory() as data_dir:
        runtime = Runtime(Settings(data_dir=Path(data_dir)))
        try:
            embedder = runtime.embedder(None)
            embedder.encode(["warm-up: load the model once, as the worker does at its first request"])
            encoding_for_model("gpt-4.1-mini")  # and the tokenizer
            texts = [embedding_text(Candidate(i, row["input"], row["output"])) for i, row in enumerate(rows)]

            embed_runs = []
            start = time.perf_counter()
            embedder.encode(texts)
            embed_runs.append(time.perf_counter() - start)

            start = time.perf_counter()
            first = build_few_shot(request, runtime.embed_cached)
            first_s = time.perf_counter() - start

            # Embedding again after the cold build: the mean of both brackets it against drifting machine load.
            start = time.perf_counter()
            embedder.encode(texts)
            embed_runs.append(time.perf_counter() - start)
            embed_s = sum(embed_runs) / len(embed_runs)

            start = time.perf_counter()
            second = build_few_shot(request, runtime.embed_cached)
            second_s = time.perf_counter() - start
        finally:
            runtime.close()
    assert first.example_ids == second.example_ids, "the cached call chose differently"
    print(f"candidates: {len(rows):,}; budget {args.budget} tokens, k={args.k}")
    runs = f"{embed_runs[0]:.1f} s, {embed_runs[1]:.1f} s"
    print(f"bare model.encode of {len(rows):,} texts (mean of 2): {embed_s * 1000:9.1f} ms  (runs: {runs})")
    print(f"few-shot build, cold embedding cache:      {first_s * 1000:9.1f} ms")
    print(f"few-shot build, same examples, cache warm: {second_s * 1000:9.1f} ms  (selection, token counts, rendering)")
    print(f"ratio cold build / bare embed: {first_s / embed_s:5.2f}x   (goal <= 1.5x)")
    print(f"speed-up of the cached call:  {first_s / second_s:5.1f}x   (goal >= 10x)")
    print(f"chosen ids {first.example_ids}, {first.token_count} tokens of {args.budget}")


if __name__ == "__main__":
    main()
