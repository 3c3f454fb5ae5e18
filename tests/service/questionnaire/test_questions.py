"""The questions come from the Profile's field metadata: one per field, in English and Hebrew."""

from __future__ import annotations

from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient

from rules.facts import Profile
from service.errors import ValidationFailed
from service.questionnaire.questions import questions, validate_answer


def test_one_question_per_profile_field_in_both_languages() -> None:
    for lang in ("en", "he"):
        ids = [item.id for item in questions(lang)]
        assert sorted(ids) == sorted(Profile.model_fields), lang
        assert len(ids) == len(set(ids))
    assert questions("en")[0].id == "task"


def test_english_and_hebrew_texts_differ_and_are_filled() -> None:
    english = {item.id: item for item in questions("en")}
    for item in questions("he"):
        other = english[item.id]
        assert item.text.strip() and other.text.strip()
        assert item.help.strip() and other.help.strip()
        assert item.text != other.text, item.id
        assert item.help != other.help, item.id
        assert any("\u0590" <= ch <= "\u05ff" for ch in item.text), f"{item.id}: no Hebrew in {item.text!r}"
        # The guide section is named once, by the link (not repeated in the help text).
        assert not item.help.endswith(f"{item.guide.title}.") and not other.help.endswith(f"{other.guide.title}.")


def test_answer_types_and_choice_labels() -> None:
    by_id = {item.id: item for item in questions("he")}
    assert by_id["examples"].type == "number" and by_id["examples"].minimum == 0
    assert by_id["needs_external_knowledge"].type == "yes_no"
    assert [(c.value, c.label) for c in by_id["needs_external_knowledge"].choices or []] == [(True, "כן"), (False, "לא")]
    assert by_id["task"].type == "text" and not by_id["task"].optional
    assert by_id["model"].optional
    for name, info in Profile.model_fields.items():
        item = by_id[name]
        if item.type != "choice":
            continue
        values = [choice.value for choice in item.choices or []]
        assert values == list(get_args(info.annotation)), name
        extra = info.json_schema_extra
        assert isinstance(extra, dict)
        labels: Any = extra.get("choices", {})
        for choice in item.choices or []:
            # Every value has its own label in both languages, not the raw value as a fallback.
            assert set(labels[str(choice.value)]) == {"en", "he"}, (name, choice.value)
            assert choice.label == labels[str(choice.value)]["he"]


def test_schema_endpoint_and_guide_links_resolve(client: TestClient) -> None:
    for lang in ("en", "he"):
        body = client.get(f"/v1/questionnaire/schema?lang={lang}").json()
        assert body["lang"] == lang
        assert [q["id"] for q in body["questions"]] == [q.id for q in questions(lang)]
        for item in body["questions"]:
            # People open a page; programs read the same section at /v1/guide.
            assert item["guide"]["url"] == f"/guide/{item['guide']['anchor']}?lang={lang}"
            page = client.get(item["guide"]["url"])
            assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), item["guide"]
            section = client.get(f"/v1/guide/{item['guide']['anchor']}?lang={lang}")
            assert section.json()["title"] == item["guide"]["title"] and section.json()["title"] in page.text
    assert client.get("/v1/questionnaire/schema?lang=fr").status_code == 422


@pytest.mark.parametrize(
    ("question_id", "value", "code"),
    [
        ("examples", -1, "invalid_answer"),
        ("examples", "10", "invalid_answer"),
        ("examples", 2.5, "invalid_answer"),
        ("needs_external_knowledge", "yes", "invalid_answer"),
        ("provider", "azure", "invalid_answer"),
        ("task", "", "invalid_answer"),
        ("task", None, "invalid_answer"),
        ("colour", "red", "unknown_question"),
    ],
)
def test_invalid_answers_name_the_question(question_id: str, value: Any, code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        validate_answer(question_id, value)
    assert caught.value.code == code
    assert caught.value.field == question_id


def test_valid_answers_are_stored_as_the_profile_would() -> None:
    assert validate_answer("examples", 300.0) == 300
    assert validate_answer("model", None) is None
    assert validate_answer("provider", "google") == "google"
