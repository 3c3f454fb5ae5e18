"""Our BM25 arrays against bm25s itself, and a rebuild that carries chunks over against one from scratch."""

from __future__ import annotations

import random

import bm25s
import numpy as np
import pytest

from service.knowledge_bases.bm25 import DENSE_SHARE, Scores
from service.knowledge_bases.lexical import LexicalIndex, tokenize

WORDS = ["policy", "policies", "vacation", "חופשה", "בחופשה", "והחופשה", "expense", "review", "code", "incident"]
WORDS += [f"w{i}" for i in range(60)]


def _corpus(rng: random.Random, n: int) -> list[tuple[str, str]]:
    docs = []
    for i in range(n):
        length = rng.choice([0, 1, 2, 5, 12, 40, 200])  # empty chunks and long ones with many repeats
        docs.append((f"c{i}", " ".join(rng.choice(WORDS[: rng.randint(3, len(WORDS))]) for _ in range(length))))
    return docs


def _queries(rng: random.Random) -> list[str]:
    return [" ".join(rng.sample(WORDS, rng.randint(1, 5))) for _ in range(30)] + ["zebra", "policy zebra policy"]


def _scores(index: LexicalIndex, q: str, scores: Scores | None = None) -> np.ndarray:
    vocab = index._terms.vocab
    ids = [vocab[t] for t in dict.fromkeys(index._tokens(q)) if t in vocab and t]
    return (scores or index._scores).of(ids)


# 1: every column by index; 8: the tokens in more than 1/8 of the documents whole; 10**9: every column whole.
@pytest.mark.parametrize("dense_share", [1, DENSE_SHARE, 10**9])
@pytest.mark.parametrize("seed", range(6))
def test_scores_are_bm25s_bit_for_bit(seed: int, dense_share: int) -> None:
    rng = random.Random(seed)
    docs = _corpus(rng, rng.choice([1, 7, 150, 600]))
    ours = LexicalIndex(docs)
    columns = Scores(ours._terms, dense_share)
    theirs = bm25s.BM25()
    theirs.index([tokenize(text) or [""] for _, text in docs], show_progress=False)
    df = np.diff(theirs.scores["indptr"])
    assert len(columns.dense) == int((df * dense_share > len(docs)).sum())  # 0 with 1, the whole vocabulary with 10**9
    for q in _queries(rng):
        tokens = [t for t in dict.fromkeys(tokenize(q)) if t in theirs.vocab_dict]
        expected = (
            np.asarray(theirs.get_scores_from_ids([theirs.vocab_dict[t] for t in tokens]))
            if tokens
            else np.zeros(len(docs), dtype=np.float32)
        )
        got = _scores(ours, q, columns)
        assert got.dtype == np.float32 and got.tobytes() == expected.astype(np.float32).tobytes(), q
        for token in tokens:
            column = theirs.vocab_dict[token]
            assert columns.frequency(ours._terms.vocab[token]) == int(
                theirs.scores["indptr"][column + 1] - theirs.scores["indptr"][column]
            )


@pytest.mark.parametrize("seed", range(8))
def test_a_rebuild_that_carries_chunks_over_equals_one_from_scratch(seed: int) -> None:
    rng = random.Random(100 + seed)
    before = dict(_corpus(rng, rng.choice([5, 80, 300])))
    old = LexicalIndex(before.items())
    after = dict(before)
    for chunk_id in rng.sample(sorted(before), len(before) // 3):
        del after[chunk_id]  # deleted
    for chunk_id in rng.sample(sorted(after), len(after) // 4):
        after[chunk_id] = after[chunk_id] + " review w59 עבודה"  # edited in place: the same id, other text
    edited = {c for c in after if c in before and after[c] != before[c]}
    for i in range(rng.randint(0, 40)):
        after[f"new{i}"] = " ".join(rng.choice(WORDS) for _ in range(rng.randint(0, 30)))
    order = list(after)
    rng.shuffle(order)  # the live records come back in another order
    read: list[str] = []

    def text_of(chunk_id: str) -> str:
        read.append(chunk_id)
        return after[chunk_id]

    rebuilt = LexicalIndex.rebuilt(old, order, text_of, lambda c: before.get(c) == after[c])
    scratch = LexicalIndex((c, after[c]) for c in order)
    assert sorted(read) == sorted(c for c in order if c not in before or c in edited)  # only those tokenized
    assert rebuilt.ids == scratch.ids == order
    assert sorted(rebuilt._terms.vocab) == sorted(scratch._terms.vocab)  # no token of a deleted chunk is kept
    for q in [*_queries(rng), "what is the policy on והחופשה?", "the of and", ""]:
        assert _scores(rebuilt, q).tobytes() == _scores(scratch, q).tobytes(), q
        assert rebuilt.search(q, 10) == scratch.search(q, 10)
        # Coverage from the counted tokens equals coverage of the texts, for carried-over rows too.
        assert rebuilt.coverage_of(q, order) == scratch.coverage(q, [after[c] for c in order]), q
        for token in tokenize(q):
            assert rebuilt._frequency(token) == scratch._frequency(token)


def test_a_rebuild_with_other_settings_or_nothing_before_tokenizes_everything() -> None:
    docs = {"a": "בחופשה policies", "b": "code review"}
    old = LexicalIndex(docs.items(), prefixes=False)
    read: list[str] = []

    def text_of(chunk_id: str) -> str:
        read.append(chunk_id)
        return docs[chunk_id]

    rebuilt = LexicalIndex.rebuilt(old, ["a", "b"], text_of, lambda c: True)
    assert read == ["a", "b"] and rebuilt.search("חופשה", 1)[0][0] == "a"  # prefixes on now: stripped forms found
    read.clear()
    assert LexicalIndex.rebuilt(None, ["b"], text_of, lambda c: True).search("review", 1)[0][0] == "b"
    assert read == ["b"]
    assert LexicalIndex.rebuilt(old, [], text_of, lambda c: True).search("code", 3) == []
