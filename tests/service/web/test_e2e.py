"""The questionnaire page in a real headless Chromium against a real server: sessions to a verdict,
Hebrew right-to-left, going back to edit, keyboard only, field errors and downloads."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from rules.texts import STRATEGY_NAMES
from tests.service.web.conftest import (
    LiveServer,
    answer_until,
    answer_until_verdict,
    current_question,
    session_id,
    shoot,
    start,
    submit_answer,
    view,
    wait_for_new_view,
)

HEBREW = re.compile(r"[\u0590-\u05FF]")
RAG_PROFILE = {
    "task": "Answer staff questions from our internal HR policies",
    "provider": "openai",
    "needs_external_knowledge": True,
    "knowledge_change": "weekly",
    "examples": 0,
}
TUNING_PROFILE = {
    "task": "Label support tickets by team",
    "provider": "open_weights",
    "examples": 5000,
    "example_quality": "high",
    "narrow_task": True,
    "prompting_status": "insufficient",
}


def stored_strategy(live_server: LiveServer, advice_id: str) -> str:
    response = live_server.api.get(f"/v1/advice/{advice_id}")
    assert response.status_code == 200, response.text
    strategy: str = response.json()["strategy"]
    return strategy


def download(page: Any, file_name: str) -> str:
    link = page.locator(f"#download-list a[data-file='{file_name}']")
    with page.expect_download() as pending:
        link.click()
    saved = pending.value
    assert saved.suggested_filename == file_name
    return Path(saved.path()).read_text(encoding="utf-8")


def test_english_session_reaches_the_verdict_the_api_stored(page: Any, live_server: LiveServer) -> None:
    start(page, "en")
    assert page.evaluate("document.activeElement.id") == "q-title"
    shoot(page, "en-first-question")
    advice_id = answer_until_verdict(page, RAG_PROFILE)

    assert page.get_attribute("#verdict", "data-strategy") == stored_strategy(live_server, advice_id) == "rag"
    assert page.text_content("#strategy-name") == STRATEGY_NAMES["rag"]["en"]
    session = live_server.session(session_id(page))
    assert session["status"] == "done" and session["advice"]["id"] == advice_id
    reasons = page.locator("#reasons li")
    assert reasons.count() == len(session["advice"]["reasons"]) > 0
    assert not page.is_visible("#reasons"), "the reasons are a section the reader opens"
    page.click("#reasons-block summary")
    assert reasons.first.locator("a.guide-link").get_attribute("href").startswith("/guide/")
    summaries = [item["summary"] for item in session["advice"]["counterfactuals"] if item["reachable"]]
    shown = page.locator("#counterfactuals li").all_text_contents()
    assert summaries and all(any(summary in text for text in shown) for summary in summaries)
    page.wait_for_selector("#downloads[data-state='ready']")
    assert page.is_visible("#kb-form")
    assert "knowledge base" in page.text_content("#downloads-extra")
    names = page.locator("#download-list a").evaluate_all("links => links.map(link => link.dataset.file)")
    assert {"rag-setup.json", "rag_index.py", "eval.jsonl", "requirements.txt"} <= set(names)
    assert "python rag_index.py build" in download(page, "rag_index.py")
    assert json.loads(download(page, "rag-setup.json"))["settings"]["distance"] == "cosine"
    shoot(page, "en-verdict-rag")

    reasons.first.locator("a.guide-link").click()
    page.wait_for_selector("#guide-dialog[open]")
    anchor = session["advice"]["reasons"][0]["guide"]
    section = live_server.api.get(f"/v1/guide/{anchor}?lang=en").json()
    assert page.text_content("#guide-title") == section["title"]
    assert "**" not in page.text_content("#guide-body"), "the section is rendered, not raw Markdown"
    page.keyboard.press("Escape")
    page.wait_for_selector("#guide-dialog", state="hidden")
    assert page.evaluate("document.activeElement.classList.contains('guide-link')"), "focus returns to the link"

    page.reload()  # the session id is kept in sessionStorage: a reload comes back to the same verdict
    page.wait_for_selector("body[data-ready='true']")
    assert page.get_attribute("#verdict", "data-advice-id") == advice_id and page.is_visible("#verdict")


def test_hebrew_session_is_right_to_left_with_hebrew_questions(page: Any, live_server: LiveServer) -> None:
    page.check("#lang-he")
    assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["he", "rtl"]
    start(page, "he")
    question_id, _kind = current_question(page)
    schema = live_server.api.get("/v1/questionnaire/schema?lang=he").json()
    expected = next(q for q in schema["questions"] if q["id"] == question_id)
    heading = page.text_content("#q-title")
    assert heading == expected["text"] and HEBREW.search(heading)
    assert page.text_content("#next") == "הבא"
    assert page.evaluate("getComputedStyle(document.querySelector('#answer-form')).direction") == "rtl"
    shoot(page, "he-first-question")
    advice_id = answer_until_verdict(page, RAG_PROFILE)
    strategy = stored_strategy(live_server, advice_id)
    assert page.get_attribute("#verdict", "data-strategy") == strategy
    assert page.text_content("#strategy-name") == STRATEGY_NAMES[strategy]["he"], "the name Slack and the CLI use"
    assert HEBREW.search(page.text_content("#verdict-title"))
    shoot(page, "he-verdict")


def test_going_back_to_edit_an_answer_changes_the_verdict(page: Any, live_server: LiveServer) -> None:
    start(page, "en")
    first_advice = answer_until_verdict(page, RAG_PROFILE)
    assert page.get_attribute("#verdict", "data-strategy") == "rag"

    before = view(page)
    page.click("#verdict-back")
    wait_for_new_view(page, before)
    for _ in range(10):  # Back, question by question, to the answer that made it RAG
        if current_question(page)[0] == "needs_external_knowledge":
            break
        before = view(page)
        page.click("#back")
        wait_for_new_view(page, before)
    assert current_question(page)[0] == "needs_external_knowledge"
    assert page.is_checked("input[name='answer'][value='true']"), "the earlier answer is shown"
    assert page.text_content("#progress").startswith("Changing your answer")
    page.check("input[name='answer'][value='false']")
    submit_answer(page)
    second_advice = answer_until_verdict(page, {**RAG_PROFILE, "needs_external_knowledge": False, "knowledge_change": "static"})

    assert second_advice != first_advice
    shown = page.get_attribute("#verdict", "data-strategy")
    assert shown == stored_strategy(live_server, second_advice) != "rag"
    assert live_server.session(session_id(page))["answers"]["needs_external_knowledge"] is False
    shoot(page, "en-verdict-after-edit")


def test_an_answer_by_keyboard_only(page: Any, live_server: LiveServer) -> None:
    page.focus("#use-case")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "start-button"
    before = view(page)
    page.keyboard.press("Enter")
    wait_for_new_view(page, before)

    assert page.evaluate("document.activeElement.id") == "q-title"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "answer-input"
    page.keyboard.type("Route support emails to the right team")
    before = view(page)
    page.keyboard.press("Enter")
    wait_for_new_view(page, before)

    second, kind = current_question(page)
    assert page.evaluate("document.activeElement.id") == "q-title"
    page.keyboard.press("Tab")  # into the control: a radio group lands on its checked option
    if kind in ("choice", "yes_no"):
        assert page.evaluate("document.activeElement.name") == "answer"
        page.keyboard.press("ArrowDown")  # the next option, checked as it gets focus
        given = json.loads(page.evaluate("document.activeElement.value"))
    else:
        assert page.evaluate("document.activeElement.id") == "answer-input"
        page.keyboard.press("Control+A")
        page.keyboard.type("12")
        given = 12 if kind == "number" else "12"
    before = view(page)
    page.keyboard.press("Enter")
    wait_for_new_view(page, before)
    answers = live_server.session(session_id(page))["answers"]
    assert answers == {"task": "Route support emails to the right team", second: given}

    back = "verdict-back" if view(page).startswith("verdict:") else "back"
    for _ in range(40):  # Tab through the next screen's controls and links to its Back button
        if page.evaluate("document.activeElement.id") == back:
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == back
    before = view(page)
    page.keyboard.press("Enter")
    wait_for_new_view(page, before)
    assert current_question(page)[0] == second, "Back shows the previous question"
    if kind in ("choice", "yes_no"):
        assert page.is_checked(f"input[name='answer'][value='{json.dumps(given)}']")
    else:
        assert page.input_value("#answer-input") == "12"
    shoot(page, "keyboard-back")


def test_an_invalid_number_shows_the_servers_error_next_to_the_field(page: Any, live_server: LiveServer) -> None:
    start(page, "en")
    profile = {"task": "Summarise meeting notes", "needs_external_knowledge": False, "prompting_status": "insufficient"}
    answer_until(page, "examples", profile)
    page.fill("#answer-input", "-5")
    page.press("#answer-input", "Enter")
    error = page.locator("#answer-error")
    error.wait_for(state="visible")

    direct = live_server.api.post(
        f"/v1/questionnaire/sessions/{session_id(page)}/answers", json={"question_id": "examples", "value": -5}
    )
    assert direct.status_code == 422
    assert error.text_content() == direct.json()["detail"]
    assert page.get_attribute("#answer-input", "aria-invalid") == "true"
    assert "answer-error" in page.get_attribute("#answer-input", "aria-describedby")
    assert current_question(page)[0] == "examples", "still on the same question"
    shoot(page, "invalid-number")

    page.fill("#answer-input", "40")
    submit_answer(page)
    assert live_server.session(session_id(page))["answers"]["examples"] == 40


def test_a_tuning_verdict_offers_the_job_spec_as_json_and_yaml(page: Any, live_server: LiveServer) -> None:
    start(page, "en")
    advice_id = answer_until_verdict(page, TUNING_PROFILE)
    assert page.get_attribute("#verdict", "data-strategy") == stored_strategy(live_server, advice_id) == "fine_tuning"
    page.wait_for_selector("#downloads[data-state='ready']")
    names = page.locator("#download-list a").evaluate_all("links => links.map(link => link.dataset.file)")
    assert {"tuning-job-spec.json", "tuning-job-spec.yaml", "train.py", "axolotl.yaml"} <= set(names)
    shoot(page, "en-verdict-fine-tuning")

    spec = json.loads(download(page, "tuning-job-spec.json"))
    assert spec["kind"] == "tuning_spec" and spec["provider"] == "open_weights" and spec["examples"] == 5000
    assert yaml.safe_load(download(page, "tuning-job-spec.yaml")) == spec
    assert "def " in download(page, "train.py") or "import " in download(page, "train.py")
    assert yaml.safe_load(download(page, "axolotl.yaml"))


def test_prompting_asks_for_examples_then_offers_the_prompt_and_held_out_jsonl(page: Any, live_server: LiveServer) -> None:
    start(page, "en")
    answer_until_verdict(page, {"task": "Summarise meeting notes", "needs_external_knowledge": False, "examples": 0})
    assert page.get_attribute("#verdict", "data-strategy") == "prompting"
    page.wait_for_selector("#downloads[data-state='ready']")
    # One sentence and the form that does the job: no "nothing to download", no raw request body, no route.
    extra = page.text_content("#downloads")
    assert page.text_content("#downloads-status") == "" and "Nothing to download" not in extra
    assert page.locator("#downloads pre").count() == 0 and "/v1/" not in extra and "POST" not in extra
    assert page.get_attribute("#next-action", "data-kind") == "examples"
    page.click("#next-action-button")
    assert page.evaluate("document.activeElement.id") == "examples-input"

    page.fill("#examples-input", "not json")
    page.click("#examples-form button[type='submit']")
    assert page.text_content("#examples-error") == 'Line 1 is not a JSON object with "input" and "output" text.'
    lines = [json.dumps({"input": f"Notes of meeting {n}: budget item {n}", "output": f"Summary {n}"}) for n in range(12)]
    page.fill("#examples-input", "\n".join(lines))
    page.click("#examples-form button[type='submit']")
    page.wait_for_selector("#download-list a[data-file='prompt.txt']")
    prompt = download(page, "prompt.txt")
    assert "Summarise meeting notes" in prompt and "Summary" in prompt
    held_out = [json.loads(line) for line in download(page, "held_out.jsonl").splitlines()]
    assert held_out and all({"id", "input", "output"} <= set(row) for row in held_out)
    assert json.loads(download(page, "prompt.json"))["messages"]
    assert "held_out.jsonl" in download(page, "evaluate.py")
    assert page.get_attribute("#next-action", "data-kind") == "download"
    assert "/v1/" not in page.text_content("#downloads")
    shoot(page, "en-prompting-downloads")


def test_evaluate_py_comes_with_the_held_out_file_it_reads_even_when_it_is_empty(page: Any, live_server: LiveServer) -> None:
    start(page, "en")
    answer_until_verdict(page, {"task": "Summarise meeting notes", "needs_external_knowledge": False, "examples": 0})
    page.wait_for_selector("#examples-input")
    lines = [json.dumps({"input": f"Notes {n}", "output": f"Summary {n}"}) for n in range(3)]
    page.fill("#examples-input", "\n".join(lines))
    page.click("#examples-form button[type='submit']")
    page.wait_for_selector("#download-list a[data-file='evaluate.py']")
    assert download(page, "held_out.jsonl") == ""
    assert "empty" in page.text_content("#download-list a[data-file='held_out.jsonl']")


def test_a_description_prefills_answers_and_says_which(page: Any, live_server: LiveServer) -> None:
    description = (
        "We use OpenAI and have about 2000 labelled examples of high quality. "
        "Answers need our internal policy documents, which change every week."
    )
    intake = live_server.api.post("/v1/intake", json={"text": description, "lang": "en"}).json()
    assert {"provider", "examples", "needs_external_knowledge"} <= set(intake["profile"])
    start(page, "en", description)

    session = live_server.session(session_id(page))
    assert {field: session["answers"][field] for field in intake["profile"]} == intake["profile"]
    shown = page.locator("#prefill-list li").evaluate_all("items => items.map(item => item.dataset.field)")
    assert set(shown) == set(intake["profile"])
    assert "about 2000 labelled examples" in page.text_content("#prefill-list li[data-field='examples']")
    asked = current_question(page)[0]
    assert asked not in intake["profile"], "a prefilled question is not asked again"
    shoot(page, "en-prefilled")

    answer_until_verdict(page, TUNING_PROFILE)
    assert page.locator("#answers dd[data-field='provider'] .badge").text_content() == "from your description"


def test_a_401_asks_for_an_api_key_and_sends_it_afterwards(keyed_page: Any, keyed_server: tuple[LiveServer, str]) -> None:
    page, (server, key) = keyed_page, keyed_server
    page.click("#start-button")
    page.wait_for_selector("#key-panel", state="visible")
    assert page.evaluate("document.activeElement.id") == "key-title"
    assert page.is_visible("#start"), "the start screen stays as it was"

    page.fill("#api-key", "tak_000000000000_wrong")
    page.press("#api-key", "Enter")
    page.wait_for_selector("#key-error", state="visible")
    assert "unknown or revoked" in page.text_content("#key-error")
    shoot(page, "api-key-rejected")

    page.fill("#api-key", key)
    before = view(page)
    page.press("#api-key", "Enter")
    wait_for_new_view(page, before)
    assert page.is_hidden("#key-panel")
    assert page.evaluate("sessionStorage.getItem('tuning-advisor.api-key')") == key
    found = server.api.get(f"/v1/questionnaire/sessions/{session_id(page)}", headers={"Authorization": f"Bearer {key}"})
    assert found.status_code == 200 and found.json()["status"] == "asking"
    assert server.api.get(f"/v1/questionnaire/sessions/{session_id(page)}").status_code == 401
