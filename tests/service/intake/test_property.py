"""Whatever the text, the draft validates as a Profile and every piece of evidence is the text's own words."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rules.facts import Profile
from service.intake import IntakeResult, extract_rules

# Words that fire rules, so random sentences exercise numbers, negation and prefixes, not only misses.
VOCABULARY = [
    "we", "have", "about", "2,000", "2k", "1.5k", "two thousand", "no", "not", "don't", "labelled", "examples", "tickets",
    "requests", "a day", "per hour", "tokens", "prompt", "JSON", "schema", "tone", "brand", "jargon", "classify",
    "personalised", "each user", "OpenAI", "GPT-4o", "Claude", "Gemini 2.5 Flash", "Llama 3", "open weights",
    "tried prompting", "wasn't enough", "works well", "change", "every week", "daily", "in real time", "static",
    "private docs", "noisy", "clean", "mixed", "יש", "לנו", "כ-2,000", "אלפיים", "שלושת אלפים", "10 אלף", "דוגמאות",
    "מתויגות", "בקשות", "ביום", "בחודש", "טוקנים", "פרומפט", "ניסינו", "ולא הספיק", "לא", "אין", "צריך", "פורמט קבוע",
    "בטון", "מונחים", "לסווג", "מותאם אישית", "מסמכים פנימיים", "מתעדכן", "כל שבוע", "בזמן אמת", "קוד פתוח", "רועשות",
    ",", ".", ";", "!", "?", "\n", "-", "־", "(", ")", "'", '"',
]  # fmt: skip

random_text = st.text(max_size=400)
hebrew_and_latin = st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Z", "S")), max_size=400)
sentences = st.lists(st.sampled_from(VOCABULARY), max_size=40).map(" ".join)
mixed = st.tuples(sentences, random_text, sentences).map("".join)


def check(text: str, result: IntakeResult) -> None:
    Profile(**{"task": "anything", **result.profile})
    if "task" in result.profile:
        Profile(**result.profile)
    assert {e.field for e in result.evidence} == set(result.profile)
    for evidence in result.evidence:
        assert 0 <= evidence.start < evidence.end <= len(text)
        assert text[evidence.start : evidence.end] == evidence.text
        assert result.profile[evidence.field] == evidence.value
    assert not set(result.missing) & set(result.profile)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(random_text, hebrew_and_latin, sentences, mixed))
def test_any_text_gives_a_valid_draft(text: str) -> None:
    check(text, extract_rules(text))


@settings(max_examples=100, deadline=None)
@given(sentences, st.sampled_from([None, "en", "he"]))
def test_language_is_always_one_of_two(text: str, lang: str | None) -> None:
    result = extract_rules(text, lang)
    assert result.lang in ("en", "he")
    if lang:
        assert result.lang == lang
