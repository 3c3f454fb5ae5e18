"""The rule extractor on labelled English and Hebrew descriptions, numbers, negation, evidence and missing questions."""

from __future__ import annotations

from typing import Any

import pytest

from rules.facts import Profile
from service.intake import IntakeResult, detect_lang, extract_rules
from service.intake.drafting import ask_order
from service.intake.numbers import first_number
from tests.service.intake.cases import DEV2_EN, DEV2_HE, DEV_EN, DEV_HE, HELDOUT2_EN, HELDOUT2_HE, HELDOUT_EN, HELDOUT_HE, Case
from tests.service.intake.heldout import HELDOUT3_EN, HELDOUT3_HE
from tests.service.intake.heldout_new_fields import HELDOUT_NEW_EN, HELDOUT_NEW_HE
from tests.service.intake.measure import FIELDS_BEFORE_RESHAPE, NEW_FIELDS, score

ISSUE_EXAMPLE = "we have about 2,000 labelled tickets, the docs change every week, output must be JSON"


def found(result: IntakeResult) -> dict[str, Any]:
    return {name: value for name, value in result.profile.items() if name != "task"}


def assert_evidence_exact(text: str, result: IntakeResult) -> None:
    assert [e.field for e in result.evidence].count("task") <= 1
    assert {e.field for e in result.evidence} == set(result.profile)
    for evidence in result.evidence:
        assert text[evidence.start : evidence.end] == evidence.text
        assert evidence.text.strip() == evidence.text and evidence.text
        assert result.profile[evidence.field] == evidence.value


@pytest.mark.parametrize(("text", "expected"), DEV_EN, ids=[f"en{i}" for i in range(len(DEV_EN))])
def test_english_descriptions(text: str, expected: dict[str, Any]) -> None:
    result = extract_rules(text)
    assert result.lang == "en"
    assert found(result) == expected
    assert_evidence_exact(text, result)


@pytest.mark.parametrize(("text", "expected"), DEV_HE, ids=[f"he{i}" for i in range(len(DEV_HE))])
def test_hebrew_descriptions(text: str, expected: dict[str, Any]) -> None:
    result = extract_rules(text)
    assert result.lang == "he"
    assert found(result) == expected
    assert_evidence_exact(text, result)


@pytest.mark.parametrize(("text", "expected"), DEV2_EN + DEV2_HE, ids=[f"dev2-{i}" for i in range(len(DEV2_EN + DEV2_HE))])
def test_task_volumes_outcomes_and_deployment_facts(text: str, expected: dict[str, Any]) -> None:
    result = extract_rules(text)
    found_all = dict(result.profile)
    if "task" not in expected:
        found_all.pop("task")
    assert found_all == expected
    assert_evidence_exact(text, result)


def test_issue_example_with_its_words() -> None:
    result = extract_rules(ISSUE_EXAMPLE)
    assert result.source == "rules"
    assert result.profile["examples"] == 2000
    assert result.profile["knowledge_change"] == "weekly"
    assert result.profile["needs_external_knowledge"] is True
    assert result.profile["strict_format"] is True
    words = {e.field: e.text for e in result.evidence}
    assert words["examples"] == "about 2,000 labelled tickets"
    assert words["knowledge_change"] == "change every week"
    assert words["strict_format"] == "JSON"
    start = ISSUE_EXAMPLE.index("about 2,000")
    examples = next(e for e in result.evidence if e.field == "examples")
    assert (examples.start, examples.end) == (start, start + len("about 2,000 labelled tickets"))


def test_missing_follows_the_questionnaire_and_skips_what_was_found() -> None:
    result = extract_rules(ISSUE_EXAMPLE)
    order = ask_order()
    assert result.missing == [q for q in order if q in result.missing]  # the questionnaire's order
    assert "prompting_status" in result.missing and "examples" not in result.missing
    assert not set(result.missing) & set(result.profile)
    assert "model" not in result.missing  # optional: never asked for as "missing"


def test_no_examples_and_no_outside_facts_settle_their_follow_ups() -> None:
    result = extract_rules("We have no labelled examples and no internal documents are involved.")
    assert result.profile["examples"] == 0
    assert result.profile["needs_external_knowledge"] is False
    for moot in ("example_quality", "knowledge_change", "knowledge_size", "live_data"):
        assert moot not in result.missing


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("2,000", 2000),
        ("2k", 2000),
        ("2.5K", 2500),
        ("about 1,200", 1200),
        ("~300", 300),
        ("two thousand", 2000),
        ("a few hundred", 300),
        ("ten thousand", 10000),
        ("1.2 million", 1_200_000),
        ("כ-2,000", 2000),
        ("כ־500", 500),
        ("אלפיים", 2000),
        ("כאלפיים", 2000),
        ("שלושת אלפים", 3000),
        ("10 אלף", 10000),
        ("חצי מיליון", 500_000),
        ("בערך מאתיים", 200),
    ],
)
def test_numbers_as_people_write_them(words: str, value: int) -> None:
    assert first_number(words) == value


@pytest.mark.parametrize(
    ("text", "field", "value"),
    [
        ("No JSON needed, plain answers.", "strict_format", False),
        ("A JSON schema is not required here.", "strict_format", False),
        ("The reply must not break the JSON schema.", "strict_format", True),
        ("It must be JSON, not free text.", "strict_format", True),
        ("Tone doesn't matter to us.", "custom_style", False),
        ("לא צריך JSON בכלל.", "strict_format", False),
        ("אין לנו מסמכים פנימיים.", "needs_external_knowledge", False),
        ("הטון לא משנה לנו.", "custom_style", False),
        ("We don't use OpenAI; we run Claude.", "provider", "anthropic"),
        ("לא ניסינו פרומפט עדיין.", "prompting_status", "not_tried"),
    ],
)
def test_negation(text: str, field: str, value: Any) -> None:
    result = extract_rules(text)
    assert result.profile[field] == value
    assert_evidence_exact(text, result)


def test_counts_claim_their_words() -> None:
    # "requests daily" is traffic, not a statement about how often the knowledge changes.
    result = extract_rules("We serve 5,000 requests daily from a static FAQ.")
    assert result.profile["requests_per_day"] == 5000
    assert result.profile.get("knowledge_change") in (None, "static")


def test_hebrew_prefixes_attach_to_words() -> None:
    result = extract_rules("התשובות מבוססות על המסמכים הפנימיים, ובמונחים של התחום; אנחנו בGemini.")
    assert result.profile["domain_language"] is True
    assert result.profile["provider"] == "google"
    assert_evidence_exact("התשובות מבוססות על המסמכים הפנימיים, ובמונחים של התחום; אנחנו בGemini.", result)


def test_language_detection_and_override() -> None:
    assert detect_lang("יש לנו 500 דוגמאות ב-JSON") == "he"
    assert detect_lang("We use GPT-4o and need JSON.") == "en"
    assert extract_rules("We use GPT-4o.", lang="he").lang == "he"


def test_task_is_the_first_sentence_within_profile_limits() -> None:
    text = "  Classify support tickets by urgency. We have 400 examples."
    result = extract_rules(text)
    assert result.profile["task"] == "Classify support tickets by urgency."
    long_text = "word " * 900
    task = extract_rules(long_text).profile["task"]
    assert len(task) <= 2000 and long_text.startswith(task)
    Profile(task=task)


def test_a_fragment_first_sentence_takes_the_whole_text() -> None:
    text = "Hi. Tickets."
    assert extract_rules(text).profile["task"] == text


@pytest.mark.parametrize(
    ("text", "task"),
    [
        ("Hi. We need to classify tickets.", "classify tickets"),
        ("We run a help desk for 900 staff. We want it to answer VPN questions, which come in all day.", "answer VPN questions"),
        ("Context: a bank. The assistant should draft replies to card disputes.", "draft replies to card disputes"),
        ("Use case: tag each invoice with a cost centre (about 40 of them).", "tag each invoice with a cost centre"),
        ("אנחנו חברת ביטוח. המטרה היא לסכם שיחות עם לקוחות, שנמשכות בערך עשר דקות.", "לסכם שיחות עם לקוחות"),
    ],
)
def test_task_is_what_the_model_should_do_not_the_context(text: str, task: str) -> None:
    result = extract_rules(text)
    assert result.profile["task"] == task
    assert_evidence_exact(text, result)


@pytest.mark.parametrize(
    "cases",
    [HELDOUT_EN, HELDOUT_HE, HELDOUT2_EN, HELDOUT2_HE],
    ids=["heldout-en", "heldout-he", "heldout2-en", "heldout2-he"],
)
def test_unseen_descriptions_keep_their_precision_and_recall(cases: list[Case]) -> None:
    # Labelled before the Profile's deployment fields existed: scored on the fields their labels cover.
    measured = score(cases, FIELDS_BEFORE_RESHAPE)
    # Measured: precision 1.00 on all four sets, recall 0.76-0.88 (see docs/intake.md). Below the floor is a regression.
    assert measured.precision >= 0.9, measured.errors
    assert measured.recall >= 0.7, measured.errors


ISSUE_HR = (
    "We run an internal HR assistant for about 3,000 employees. We want it to answer questions about leave, benefits "
    "and payroll from our policy handbook, which HR updates every month or so. Right now it's GPT-4o with a long "
    "system prompt, and it is called roughly 5,000 times a day."
)
ISSUE_HR_HE = (
    "אנחנו מפעילים עוזר משאבי אנוש פנימי לכ-3,000 עובדים. אנחנו רוצים שהוא יענה על שאלות על חופשות, הטבות ושכר "
    "מתוך חוברת הנהלים, שמתעדכנת בערך כל חודש. כרגע זה GPT-4o עם הנחיית מערכת ארוכה, והוא נקרא בערך 5,000 פעמים ביום."
)
ISSUE_TONE = "The bot drafts replies to merchants. The prompt alone still gets the tone wrong: too casual."
ISSUE_TONE_HE = "הבוט מנסח תשובות לסוחרים. הפרומפט לבד עדיין מפספס את הטון: קליל מדי."


@pytest.mark.parametrize(
    ("text", "task"),
    [
        (ISSUE_HR, "answer questions about leave, benefits and payroll from our policy handbook"),
        (ISSUE_HR_HE, "יענה על שאלות על חופשות, הטבות ושכר מתוך חוברת הנהלים"),
    ],
)
def test_the_issue_description_gives_the_task_and_the_volume(text: str, task: str) -> None:
    result = extract_rules(text)
    assert result.profile["task"] == task
    assert result.profile["requests_per_day"] == 5000
    assert result.profile["knowledge_change"] == "monthly"
    assert result.profile["provider"] == "openai"
    assert_evidence_exact(text, result)


@pytest.mark.parametrize("text", [ISSUE_TONE, ISSUE_TONE_HE])
def test_a_prompt_that_still_gets_it_wrong_falls_short(text: str) -> None:
    result = extract_rules(text)
    assert result.profile["prompting_status"] == "insufficient"
    assert result.profile["custom_style"] is True
    assert "prompting_status" not in result.missing


@pytest.mark.parametrize(
    ("cases", "fields", "precision", "recall"),
    [
        (HELDOUT3_EN, FIELDS_BEFORE_RESHAPE, 0.89, 0.67),
        (HELDOUT3_HE, FIELDS_BEFORE_RESHAPE, 0.85, 0.57),
        (HELDOUT_NEW_EN + HELDOUT_NEW_HE, NEW_FIELDS, 0.9, 0.85),
    ],
    ids=["heldout3-en", "heldout3-he", "new-fields"],
)
def test_held_out_precision_and_recall_keep_their_floor(
    cases: list[Case], fields: frozenset[str], precision: float, recall: float
) -> None:
    # Measured once after tuning on cases.py (2026-12-05): heldout3 en 0.92 / 0.70, he 0.88 / 0.60; the new fields
    # 0.96 / 0.95 (en+he). The floors sit a little under; a drop below one is a regression. Never tune on these sets.
    measured = score(cases, fields)
    assert measured.precision >= precision, measured.errors
    assert measured.recall >= recall, measured.errors


def test_held_out_tasks_are_found_more_often_than_the_first_sentence() -> None:
    # Measured: 50 of 74 held-out tasks (the first sentence, as before, found 24).
    measured = score(HELDOUT3_EN + HELDOUT3_HE, frozenset())
    assert measured.tasks_labelled == 74
    assert measured.task_accuracy >= 0.62, measured.errors
