"""BM25 with Hebrew prefixes: the lexical side Hebrew recall depends on."""

from __future__ import annotations

from service.knowledge_bases.lexical import LexicalIndex, tokenize

DOCS = [
    ("vacation", "לכל עובד 18 ימי חופשה בשנה. את החופשה מתאמים עם המנהל."),
    ("training", "תקציב שנתי לקורסים, ספרים וכנסים מקצועיים."),
    ("remote", "החברה מממנת מסך נוסף וכיסא לעבודה מהבית."),
    ("expenses", "Expense reports are due within 30 days; policies apply to all trips."),
]


def test_tokens_are_casefolded_unicode_words_with_hebrew_prefix_variants() -> None:
    assert tokenize("ובחופשה Policies") == ["ובחופשה", "בחופשה", "חופשה", "policy"]
    assert tokenize('המנכ"ל') == ["המנכל", "מנכל", "נכל"]
    assert tokenize("בית") == ["בית", "ית"]
    assert tokenize("של") == ["של"]


def test_hebrew_words_match_across_prefixes() -> None:
    index = LexicalIndex(DOCS)
    assert index.search("בחופשה", 1)[0][0] == "vacation"
    assert index.search("ולכנסים", 1)[0][0] == "training"
    assert index.search("למסך ולכיסא", 1)[0][0] == "remote"
    assert index.search("policy", 1)[0][0] == "expenses"


def test_prefix_stripping_is_what_finds_them() -> None:
    plain = LexicalIndex(DOCS, prefixes=False)
    assert plain.search("ולכנסים", 3) == [] and plain.search("למסך ולכיסא", 3) == []


def test_no_match_and_empty_index() -> None:
    assert LexicalIndex(DOCS).search("zebra", 5) == []
    assert LexicalIndex([]).search("anything", 5) == []
    assert LexicalIndex([("empty", "")]).search("anything", 5) == []
