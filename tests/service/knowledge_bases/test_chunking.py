"""Chunks: exact offsets back into the document, heading paths, the model-token budget, the window and the overlap."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from service.embeddings.tokens import ModelTokens, tokens_for
from service.knowledge_bases.chunking import chunk_document, content_hash
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


def count_tokens(text: str) -> int:
    """Wordpieces of the bundled MiniLM, the same count the chunker budgets with."""
    return tokens_for(None).count(text)


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


def test_content_hash_covers_text_heading_and_model() -> None:
    tokens = tokens_for(None)
    [a] = chunk_document(doc("Same text."), model="model-a", tokens=tokens)
    [b] = chunk_document(doc("Same text.", "other.md"), model="model-a", tokens=tokens)
    [c] = chunk_document(doc("Same text."), model="model-b", tokens=tokens)
    assert a.content_hash == b.content_hash == content_hash("Same text.", "model-a") != c.content_hash
    # The heading path is embedded with the chunk: the same words under another title are a new vector.
    [_, d] = chunk_document(doc("# Tier 1\n\n## Limits\n\nSame text."), model="model-a", tokens=tokens)
    [_, e] = chunk_document(doc("# Tier 2\n\n## Limits\n\nSame text."), model="model-a", tokens=tokens)
    assert d.text == e.text == "## Limits\n\nSame text." and d.content_hash != e.content_hash
    assert d.embedding_text == "Tier 1 > Limits\n## Limits\n\nSame text."


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
    covered: set[int] = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(text) if not ch.isspace()), "no character is lost"


LONG_EN = "# Rate limits\n\n## Tier 2\n\n" + " ".join(
    f"Route optimisation call {i} on plan tier two is limited to {i * 7} requests per minute." for i in range(120)
)
LONG_HE = "# חופשות\n\n" + " ".join(f"עובד בוותק של {i} שנים זכאי ל־{i + 10} ימי חופשה בשנה, כולל ימי מחלה." for i in range(120))


def test_every_chunk_is_embedded_to_its_last_word() -> None:
    # MiniLM reads 256 wordpieces ([CLS] and [SEP] included) and drops the rest; a chunk must fit whole.
    tokens = tokens_for(None)
    assert tokens.window == 254
    for text in (LONG_EN, LONG_HE):
        for requested in (None, 2000):
            chunks = chunk_document(doc(text), requested)
            assert len(chunks) > 3
            for chunk in chunks:
                pieces = tokens.tokenizer.tokenize(chunk.embedding_text)  # untruncated, without [CLS] and [SEP]
                assert len(pieces) + 2 <= 256, (len(pieces), chunk.embedding_text[-80:])


def test_hebrew_is_cut_between_whole_words_only() -> None:
    text = "# נהלים\n\n" + " ".join(["שָׁלוֹם", 'מנכ"ל', "וּבַחֻפְשָׁה", "הַקַּיִץ"] * 200)
    chunks = chunk_document(doc(text), 40, 8)
    assert len(chunks) > 5
    words = set(text.split())
    for chunk in chunks:
        assert set(chunk.text.split()) <= words, "every word of every chunk is a whole word of the document"
        assert text[chunk.start : chunk.end] == chunk.text


def test_code_blocks_keep_their_comments_and_break_by_line() -> None:
    lines = "\n".join(f"# step {i}: run the migration for shard {i}\nmigrate --shard {i} --dry-run=false" for i in range(60))
    text = f"# Runbook\n\nBefore you start, drain the queue.\n\n~~~bash\n{lines}\n~~~\n\n## After\n\nCheck the dashboards."
    chunks = chunk_document(doc(text), 120, 20)
    assert {c.heading for c in chunks} == {"Runbook", "Runbook > After"}, "no '# step' comment became a heading"
    code = [c for c in chunks if "migrate --shard" in c.text]
    assert len(code) > 2
    for chunk in code:
        assert all(
            line.startswith(("# step", "migrate", "~~~", "Before", "# Runbook")) for line in chunk.text.splitlines() if line
        )


def test_fences_close_only_on_their_own_kind() -> None:
    text = "# Guide\n\n````md\n```\n# not a heading\n```\n````\n\nSetup\n=====\n\nInstall it.\n\nUsage\n-----\n\nRun it."
    chunks = chunk_document(doc(text), 200, 20)
    assert [c.heading for c in chunks] == ["Guide", "Setup", "Setup > Usage"]
    assert "# not a heading" in chunks[0].text


def test_a_slow_tokenizer_counts_like_the_fast_one() -> None:
    fast = tokens_for(None)

    class Slow:
        is_fast = False

        def tokenize(self, word: str) -> list[str]:
            return list(fast.tokenizer.tokenize(word))

    slow = ModelTokens(Slow(), fast.window)
    for text in (LONG_EN[:3000], LONG_HE[:3000]):
        assert slow.count(text) == fast.count(text)
        assert [c.text for c in chunk_document(doc(text), 60, 10, tokens=slow)] == [
            c.text for c in chunk_document(doc(text), 60, 10, tokens=fast)
        ]
