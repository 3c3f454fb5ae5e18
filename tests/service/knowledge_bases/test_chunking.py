"""Chunks: exact offsets back into the document, heading paths, the token budget and the overlap."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from service.knowledge_bases.chunking import chunk_document, content_hash, count_tokens
from service.knowledge_bases.parsers import ParsedDocument

HANDBOOK = """Intro before any heading.

# Handbook

Welcome to the company.

## Vacation
Employees get 25 days.

```python
# a comment, not a heading
days = 25
```

### Carry-over
Up to 5 days move to next year.

# Security
Use the VPN.
"""


def doc(text: str, doc_id: str = "handbook.md") -> ParsedDocument:
    return ParsedDocument(doc_id, doc_id, text)


def test_each_chunk_is_a_slice_with_its_heading_path() -> None:
    chunks = chunk_document(doc(HANDBOOK), 300, 45)
    assert [c.heading_path for c in chunks] == [
        (),
        ("Handbook",),
        ("Handbook", "Vacation"),
        ("Handbook", "Vacation", "Carry-over"),
        ("Security",),
    ]
    for i, chunk in enumerate(chunks):
        assert HANDBOOK[chunk.start : chunk.end] == chunk.text
        assert (chunk.chunk_id, chunk.index, chunk.doc_id, chunk.source) == (f"handbook.md#{i}", i, "handbook.md", "handbook.md")
    assert chunks[2].text.startswith("## Vacation") and "# a comment, not a heading" in chunks[2].text
    assert chunks[3].heading == "Handbook > Vacation > Carry-over"


def test_long_paragraphs_split_by_sentence_with_overlap() -> None:
    sentences = [f"Rule {i} says the budget for item {i} is {i * 10} dollars." for i in range(60)]
    text = "# Budget\n\n" + " ".join(sentences)
    chunks = chunk_document(doc(text), 100, 25)
    assert len(chunks) > 5
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text
        assert count_tokens(chunk.text) <= 100
    for previous, following in itertools.pairwise(chunks):
        assert following.start < previous.end, "consecutive chunks share their boundary sentence"
        assert following.start > previous.start
    covered = "".join(text[c.start : c.end] for c in chunks)
    assert all(sentence in covered for sentence in sentences)


def test_a_sentence_longer_than_the_budget_splits_by_words() -> None:
    text = " ".join(f"word{i}" for i in range(1000))
    chunks = chunk_document(doc(text, "long.txt"), 50, 10)
    assert all(count_tokens(c.text) <= 50 and text[c.start : c.end] == c.text for c in chunks)
    assert chunks[0].text.startswith("word0 ") and chunks[-1].text.endswith("word999")
    assert chunks[1].start < chunks[0].end


def test_paragraphs_of_a_section_are_packed_together() -> None:
    text = "# FAQ\n\n" + "\n\n".join(f"Question {i}? Answer {i}." for i in range(10))
    chunks = chunk_document(doc(text), 300, 45)
    assert len(chunks) == 1 and chunks[0].text == text.strip()


def test_content_hash_covers_text_and_model() -> None:
    [a] = chunk_document(doc("Same text."), model="model-a")
    [b] = chunk_document(doc("Same text.", "other.md"), model="model-a")
    [c] = chunk_document(doc("Same text."), model="model-b")
    assert a.content_hash == b.content_hash == content_hash("Same text.", "model-a") != c.content_hash


def test_blank_documents_have_no_chunks() -> None:
    assert chunk_document(doc("  \n\n \n")) == []


@settings(max_examples=200, deadline=None)
@given(
    text=st.text(alphabet=st.sampled_from(list("ab שלום.!?#\n `~-")), max_size=600),
    budget=st.integers(2, 40),
    overlap_share=st.floats(0, 0.9),
)
def test_offsets_are_exact_for_any_text(text: str, budget: int, overlap_share: float) -> None:
    overlap = min(budget - 1, int(budget * overlap_share))
    chunks = chunk_document(doc(text), budget, overlap)
    for chunk in chunks:
        assert text[chunk.start : chunk.end] == chunk.text and chunk.text.strip()
    starts = [c.start for c in chunks]
    assert starts == sorted(starts) and len(set(starts)) == len(starts)
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace()), "no character is lost"
