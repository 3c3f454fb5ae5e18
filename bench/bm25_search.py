"""A BM25 search's own steps at --chunks chunks, the old way and the new side by side in one process. Not a test.

Usage: .venv/bin/python bench/bm25_search.py [--chunks 100000] [--questions 300]

The chunks are bench/kb.py's random texts (Zipf-distributed words, as bench/search.py fills its knowledge base) and
the questions bench/search.py's. For each question, CPU time (this thread) of:

1. the scores of every chunk: every token's column added by index (as before ADR 0030) against the columns of the
   tokens in more than 1/8 of the chunks kept whole (`Scores`, bm25.py);
2. the 50 best chunks: selected among every positive score (before) against the threshold of the 50th (`best`);
3. the coverage of the 5 best (relevance's lexical feature): tokenizing their texts again (`LexicalIndex.coverage`,
   still used for hits read from Chroma) against the tokens counted when they were indexed (`coverage_of`).

Both sides of each step are checked to give the same result. ADR 0030 and docs/benchmarks.md quote these figures.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # bench/http.py must not shadow the standard library's http
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from bench.kb import _texts  # noqa: E402
from bench.search import questions  # noqa: E402
from service.knowledge_bases.bm25 import Scores  # noqa: E402
from service.knowledge_bases.lexical import LexicalIndex, best  # noqa: E402

T = TypeVar("T")
TOP = 50  # candidates per ranker (search.CANDIDATES)


def among_positives(scores: np.ndarray, k: int) -> np.ndarray:
    """The selection before ADR 0030: partition the positive scores, then sort the k chosen."""
    positive = np.flatnonzero(scores > 0)
    if positive.size > k:
        positive = positive[np.argpartition(-scores[positive], k - 1)[:k]]
    return positive[np.argsort(-scores[positive], kind="stable")]


def cpu_ms(run: Callable[[], T]) -> tuple[float, T]:
    start = time.thread_time()
    result = run()
    return (time.thread_time() - start) * 1000, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=300)
    args = parser.parse_args()
    texts = _texts(np.random.default_rng(7), args.chunks)
    ids = [f"c{i}" for i in range(args.chunks)]
    started = time.perf_counter()
    index = LexicalIndex(zip(ids, texts, strict=True))
    print(f"{args.chunks} chunks indexed in {time.perf_counter() - started:.1f} s")
    by_index = Scores(index._terms, dense_share=1)  # no column whole
    whole = index._scores
    print(f"columns kept whole: {len(whole.dense)} tokens, {sum(c.nbytes for c in whole.dense.values()) / 2**20:.1f} MiB")
    steps = ("by index", "whole", "positives", "threshold", "tokenize", "counted")
    timings: dict[str, list[float]] = {name: [] for name in steps}
    touched = []
    for q in questions(args.questions, "bm25"):
        vocab = index._terms.vocab
        token_ids = [vocab[t] for t in dict.fromkeys(index._tokens(q)) if t in vocab and t]
        touched.append(sum(int(index._scores.df[t]) for t in token_ids))
        ms, old = cpu_ms(lambda: by_index.of(token_ids))  # noqa: B023
        timings["by index"].append(ms)
        ms, new = cpu_ms(lambda: whole.of(token_ids))  # noqa: B023
        timings["whole"].append(ms)
        assert old.tobytes() == new.tobytes()
        scores = new
        ms, before = cpu_ms(lambda: among_positives(scores, TOP))  # noqa: B023
        timings["positives"].append(ms)
        ms, after = cpu_ms(lambda: best(scores, TOP))  # noqa: B023
        timings["threshold"].append(ms)
        assert scores[before].tobytes() == scores[after].tobytes()  # ties may come in another order
        top = [ids[i] for i in after[:5].tolist()]
        ms, tokenized = cpu_ms(lambda: index.coverage(q, [texts[int(c[1:])] for c in top]))  # noqa: B023
        timings["tokenize"].append(ms)
        ms, counted = cpu_ms(lambda: index.coverage_of(q, top))  # noqa: B023
        timings["counted"].append(ms)
        assert tokenized == counted
    print(f"entries a question touches: mean {statistics.mean(touched):,.0f}")
    print(f"{'CPU ms per question (p50 / mean)':44} {'before':>15} {'now':>15} {'ratio':>7}")
    for step, (old_name, new_name) in {
        "scores of every chunk": ("by index", "whole"),
        "the 50 best": ("positives", "threshold"),
        "coverage of the 5 best": ("tokenize", "counted"),
    }.items():
        old_t, new_t = timings[old_name], timings[new_name]
        ratio = statistics.mean(new_t) / statistics.mean(old_t)
        print(
            f"{step:44} {statistics.median(old_t):7.3f} / {statistics.mean(old_t):5.3f} "
            f"{statistics.median(new_t):7.3f} / {statistics.mean(new_t):5.3f} {ratio:7.2f}"
        )


if __name__ == "__main__":
    main()
