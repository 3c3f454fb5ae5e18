"""BM25 (Lucene's variant, bm25s' defaults) on arrays that a rebuild can carry over from the last build.

A knowledge base's BM25 snapshot is rebuilt whenever its live records change: after every document of an
ingestion. bm25s builds from token lists in Python loops, so each rebuild tokenized and counted every chunk again
(at 330 chunks ~35 ms of tokenizing and ~20 ms of counting; at 5,000 ~0.6 + 0.3 s), holding the GIL that the same
process's searches wait for. Here each document's distinct token ids and counts are kept as arrays (``Terms``), so
a rebuild tokenizes only the chunks that are new or changed and does the rest with numpy.

The scores are bm25s' own, bit for bit (tests/service/knowledge_bases/test_bm25.py builds both): idf with
``math.log`` in float64 stored as float32, the term-frequency part in float64, each entry stored as float32, and a
question's scores summed in float32 in the order of its tokens.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

K1 = 1.5
B = 0.75
DENSE_SHARE = 8  # a token in more than 1/8 of the documents has its scores kept as one whole column
EMPTY = ""  # a document without tokens is indexed as this one token (as bm25s needs one per document)


@dataclass(frozen=True)
class Terms:
    """Per document, its distinct token ids and how often each occurs, one document after another (CSR)."""

    tokens: list[str]  # token id -> token
    vocab: dict[str, int]  # token -> token id
    ptr: np.ndarray  # document i's entries are [ptr[i], ptr[i + 1])
    ids: np.ndarray  # int32 token ids
    counts: np.ndarray  # occurrences of each entry's token in its document


Source = int | list[str]  # a document of the previous Terms (its row), or a new document's tokens


def terms(sources: Sequence[Source], previous: Terms | None) -> Terms:
    """The Terms of documents each given as a row of ``previous`` or as its tokens, in the order given.

    Token ids are renumbered densely over the documents kept, so the vocabulary never holds a token that no document
    has (a rebuild after deletes does not grow it)."""
    rows = np.fromiter((s for s in sources if isinstance(s, int)), dtype=np.int64)
    kept_ids, kept_counts, kept_lengths = _rows(previous, rows)
    tokens: list[str] = []
    vocab: dict[str, int] = {}
    if previous is not None and kept_ids.size:
        used = np.unique(kept_ids)
        renumber = np.full(len(previous.tokens), -1, dtype=np.int32)
        renumber[used] = np.arange(used.size, dtype=np.int32)
        tokens = [previous.tokens[i] for i in used.tolist()]
        vocab = {token: i for i, token in enumerate(tokens)}
        kept_ids = renumber[kept_ids]
    new_ids: list[int] = []
    new_counts: list[int] = []
    new_lengths: list[int] = []
    for source in sources:
        if isinstance(source, int):
            continue
        counted = Counter(source or [EMPTY])
        for token in counted:
            index = vocab.get(token)
            if index is None:
                index = vocab[token] = len(tokens)
                tokens.append(token)
            new_ids.append(index)
        new_counts.extend(counted.values())
        new_lengths.append(len(counted))
    # Both parts, in the order of ``sources``: kept rows first in one array, new documents after them.
    lengths = np.concatenate([kept_lengths, np.asarray(new_lengths, dtype=np.int64)])
    order = np.empty(len(sources), dtype=np.int64)
    is_kept = np.fromiter((isinstance(s, int) for s in sources), dtype=bool, count=len(sources))
    order[is_kept] = np.arange(rows.size)
    order[~is_kept] = rows.size + np.arange(len(sources) - rows.size)
    ids = np.concatenate([kept_ids.astype(np.int32), np.asarray(new_ids, dtype=np.int32)])
    counts = np.concatenate([kept_counts.astype(np.int64), np.asarray(new_counts, dtype=np.int64)])
    starts = np.concatenate([[0], np.cumsum(lengths)])
    take = _ranges(starts[order], lengths[order])
    ptr = np.concatenate([[0], np.cumsum(lengths[order])])
    counts = counts[take]
    narrow = np.uint16 if counts.size == 0 or counts.max() <= np.iinfo(np.uint16).max else np.uint32
    return Terms(tokens, vocab, ptr, ids[take], counts.astype(narrow))


def _rows(previous: Terms | None, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The entries of ``previous``'s documents ``rows``, one after another, and each document's entry count."""
    if previous is None or rows.size == 0:
        empty = np.zeros(0, dtype=np.int64)
        return empty.astype(np.int32), empty, empty
    lengths = previous.ptr[rows + 1] - previous.ptr[rows]
    take = _ranges(previous.ptr[rows], lengths)
    return previous.ids[take], previous.counts[take], lengths


def _ranges(starts: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """The indices start..start+length-1 of every range, one range after another."""
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    offsets = np.repeat(starts - np.concatenate([[0], np.cumsum(lengths)[:-1]]), lengths)
    return offsets + np.arange(total, dtype=np.int64)


class Scores:
    """BM25 of every (document, token) entry of ``Terms``, by token (CSC), as bm25s keeps them; the columns of tokens
    in more than 1/``dense_share`` of the documents are kept whole instead (``dense``).

    A question's common words touch most documents: at 100,000 chunks a question of the search bench touched ~225,000
    entries, and adding them by index took ~2.3 ms, against ~0.17 ms adding whole columns. A whole column costs 4
    bytes a document instead of 8 an entry (39 columns, 14.9 MiB, at 100,000 chunks of the bench's texts; ``dense_share`` 8
    bounds them by 4x the entries they replace). A document missing from a column adds 0.0, which leaves a float32
    sum unchanged, so the scores stay bm25s' bit for bit.
    """

    def __init__(self, terms: Terms, dense_share: int = DENSE_SHARE) -> None:
        n_docs, n_vocab = len(terms.ptr) - 1, len(terms.tokens)
        self.n_docs = n_docs
        per_doc = np.diff(terms.ptr)
        doc = np.repeat(np.arange(n_docs, dtype=np.int32), per_doc)
        counts = terms.counts.astype(np.float64)
        lengths = np.add.reduceat(counts, terms.ptr[:-1]) if counts.size else np.zeros(0)
        self.df = df = np.bincount(terms.ids, minlength=n_vocab)
        # idf as bm25s computes it (math.log per distinct document frequency), stored as float32.
        distinct, inverse = np.unique(df, return_inverse=True)
        idf = np.array([math.log(1 + (n_docs - d + 0.5) / (d + 0.5)) if d else 0.0 for d in distinct.tolist()])
        idf = idf.astype(np.float32)[inverse]
        if n_docs:
            average = lengths.mean()  # a document's length counts every occurrence
            norm = K1 * ((1 - B) + B * lengths / average)
            tfc = counts / (norm[doc] + counts)
            entries = (idf[terms.ids].astype(np.float64) * tfc).astype(np.float32)
        else:
            entries = np.zeros(0, dtype=np.float32)
        whole = df * dense_share > n_docs
        sparse = ~whole[terms.ids]
        self.dense: dict[int, np.ndarray] = {}
        at = np.flatnonzero(~sparse)
        at = at[np.argsort(terms.ids[at], kind="stable")]  # the whole columns' entries, token by token
        start = 0
        for token_id in np.flatnonzero(whole).tolist():
            picked = at[start : start + df[token_id]]
            start += df[token_id]
            column = self.dense[token_id] = np.zeros(n_docs, dtype=np.float32)
            column[doc[picked]] = entries[picked]
        ids = terms.ids[sparse]
        order = np.argsort(ids, kind="stable")  # by token, documents ascending within each
        self.indices = doc[sparse][order]
        self.data = entries[sparse][order]
        self.indptr = np.concatenate([[0], np.cumsum(np.where(whole, 0, df))]).astype(np.int64)

    def frequency(self, token_id: int) -> int:
        """In how many documents the token occurs."""
        return int(self.df[token_id])

    def of(self, token_ids: Sequence[int]) -> np.ndarray:
        """Every document's score for a question of these (distinct) token ids, summed in their order."""
        scores = np.zeros(self.n_docs, dtype=np.float32)
        for token_id in token_ids:
            column = self.dense.get(token_id)
            if column is not None:
                scores += column
                continue
            start, end = self.indptr[token_id], self.indptr[token_id + 1]
            scores[self.indices[start:end]] += self.data[start:end]  # a document is in a token's column once
        return scores
