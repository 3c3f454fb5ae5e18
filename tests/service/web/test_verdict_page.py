"""The verdict as people read it, in a real Chromium: the summary card, the cost chart with its payback point,
assumed figures that lead to their question, Hebrew numbers at 390 px, the guide as a page, /docs offline."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlparse

import pytest

from rules.texts import STRATEGY_NAMES
from tests.service.web.conftest import (
    SCREENSHOTS,
    STEP_TIMEOUT_MS,
    LiveServer,
    answer_until_verdict,
    current_question,
    session_id,
    shoot,
    start,
    submit_answer,
)

# A self-hosted model with a long instruction block at high volume: tuning pays back (the engine says when).
PAYBACK_PROFILE = {
    "task": "Label support tickets by team",
    "provider": "open_weights",
    "examples": 3000,
    "example_quality": "high",
    "narrow_task": True,
    "prompting_status": "insufficient",
    "prompt_tokens": 8000,
    "requests_per_day": 20000,
    "output_tokens": 20,
}
TUNING_ELSEWHERE = {
    "task": "Label support tickets by team",
    "provider": "openai",
    "examples": 5000,
    "example_quality": "high",
    "narrow_task": True,
    "prompting_status": "insufficient",
}
MONEY = re.compile(r"^\$\d{1,3}(,\d{3})*\.\d\d$")


def stored_advice(server: LiveServer, profile: dict[str, Any], lang: str) -> dict[str, Any]:
    response = server.api.post("/v1/advice", json={"profile": profile, "lang": lang, "artifact": True})
    assert response.status_code == 201, response.text
    advice: dict[str, Any] = response.json()
    return advice


def open_advice(page: Any, advice_id: str) -> None:
    page.goto(f"/advice/{advice_id}")
    page.wait_for_selector("body[data-ready='true']")
    page.wait_for_selector(f"#verdict[data-advice-id='{advice_id}']")
    page.wait_for_selector("#downloads[data-state='ready']")


def test_the_verdict_leads_with_a_summary_card(page: Any, live_server: LiveServer) -> None:
    start(page, "en")
    advice_id = answer_until_verdict(page, TUNING_ELSEWHERE)
    page.wait_for_selector("#downloads[data-state='ready']")
    advice = live_server.api.get(f"/v1/advice/{advice_id}").json()

    assert page.text_content("#strategy-name") == STRATEGY_NAMES[advice["strategy"]]["en"]
    lead = next(reason for reason in advice["reasons"] if reason["stage"] == "signal")
    assert page.text_content("#summary-why") == f"Why: {lead['because']}"
    closest = min((item for item in advice["counterfactuals"] if item["reachable"]), key=lambda item: item["effort"])
    closeness = page.text_content("#summary-closeness")
    assert closeness.startswith(f"Closest alternative: {STRATEGY_NAMES[closest['strategy']]['en']}. {closest['summary']}")
    assert f"Answers assumed rather than given: {len(advice['assumptions'])}." in closeness
    flags = page.locator("#flags li")
    assert flags.count() == len(advice["flags"]) > 0
    assert [flags.nth(i).get_attribute("data-code") for i in range(flags.count())] == [f["code"] for f in advice["flags"]]
    assert page.get_attribute("#next-action", "data-kind") == "download"
    assert page.text_content("#next-action-button") == "Download the tuning job"
    # Everything else waits in sections the reader opens; no field name or route is on screen.
    assert page.locator("#verdict details.more[open]").count() == 0
    page.evaluate("document.querySelectorAll('#verdict details.more').forEach((block) => (block.open = true))")
    shown = page.inner_text("#verdict")
    assert "/v1/" not in shown and "needs_external_knowledge" not in shown and "fine_tuning" not in shown
    shoot(page, "en-verdict-card-open")

    page.click("#review-assumed")
    assert page.evaluate("document.activeElement.closest('details').id") == "assumed-block"
    with page.expect_download() as pending:
        page.click("#next-action-button")
    assert pending.value.suggested_filename in {"start_tuning.py", "train.py", "tuning-job-spec.json"}


def test_the_cost_chart_marks_payback_and_assumed_figures_lead_to_their_question(page: Any, live_server: LiveServer) -> None:
    advice = stored_advice(live_server, PAYBACK_PROFILE, "en")
    economics = advice["economics"]
    assert economics["payback_days"] is not None and economics["payback_days"] <= 365
    open_advice(page, advice["id"])
    page.click("#economics-block summary")

    chart = page.locator("#economics svg.chart")
    assert chart.get_attribute("role") == "img" and "12 months" in chart.locator("title").text_content()
    assert {line.get_attribute("data-series") for line in chart.locator("line[data-series]").all()} == {"today", "tuned"}
    mark = chart.locator("g.payback")
    assert float(mark.get_attribute("data-days")) == economics["payback_days"]
    assert mark.locator("text").text_content() == f"pays back after {economics['payback_days']:g} days"
    totals = page.locator("table.costs tr.total td").all_text_contents()
    assert totals == [f"${economics['today']['total_usd']:,.2f}", f"${economics['tuned']['total_usd']:,.2f}"]
    assumed = {item["field"] for item in advice["assumptions"]}
    assert "input_tokens" in assumed and "output_tokens" not in assumed
    assert page.locator("#economics button.assumed[data-field='input_tokens']").is_visible()
    assert page.locator("#economics button.assumed[data-field='output_tokens']").count() == 0
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.locator("#economics").screenshot(path=str(SCREENSHOTS / "en-costs-chart.png"))

    # "assumed — change" asks that question, in a session made from this advice's answers.
    page.click("#economics button.assumed[data-field='input_tokens']")
    page.wait_for_selector("#question[data-question='input_tokens']")
    assert page.evaluate("location.pathname") == "/"
    page.fill("#answer-input", "150")
    submit_answer(page)
    answer_until_verdict(page, PAYBACK_PROFILE)
    answers = live_server.session(session_id(page))["answers"]
    assert answers["input_tokens"] == 150 and answers["examples"] == 3000 and answers["provider"] == "open_weights"


def test_hebrew_numbers_and_arrows_read_right_at_390_px(browser: Any, live_server: LiveServer, request: Any) -> None:
    from tests.service.web.conftest import open_page

    advice = stored_advice(live_server, PAYBACK_PROFILE, "he")
    with open_page(browser, live_server, request) as page:
        page.set_viewport_size({"width": 390, "height": 844})
        open_advice(page, advice["id"])
        assert page.evaluate("[document.documentElement.lang, document.documentElement.dir]") == ["he", "rtl"]
        assert page.text_content("#strategy-name") == STRATEGY_NAMES["fine_tuning"]["he"]
        shoot(page, "he-390-verdict-card")
        page.click("#economics-block summary")
        cells = page.locator("table.costs tr.total td bdi")
        for index in range(cells.count()):
            assert cells.nth(index).get_attribute("dir") == "ltr"
            assert MONEY.match(cells.nth(index).text_content()), cells.nth(index).text_content()
            assert cells.nth(index).evaluate("node => getComputedStyle(node).direction") == "ltr"
        # Right to left, today is the first column: it stands to the right of the tuned one.
        today = page.locator("table.costs th[data-side='today']").bounding_box()
        tuned = page.locator("table.costs th[data-side='tuned']").bounding_box()
        assert today["x"] > tuned["x"]
        assert "→" not in page.inner_text("#verdict") and "←" not in page.inner_text("#economics")
        # Nothing wider than the phone: no sideways scrolling of the page.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        page.evaluate("document.querySelectorAll('#verdict details.more').forEach((block) => (block.open = true))")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        shoot(page, "he-390-verdict-open")


def test_a_rag_verdict_creates_the_knowledge_base_from_its_next_action(page: Any, live_server: LiveServer) -> None:
    advice = stored_advice(
        live_server,
        {"task": "Answer HR questions", "provider": "openai", "needs_external_knowledge": True, "knowledge_change": "weekly"},
        "en",
    )
    open_advice(page, advice["id"])
    assert page.get_attribute("#next-action", "data-kind") == "kb"
    page.click("#next-action-button")
    assert page.evaluate("document.activeElement.id") == "kb-name"
    page.fill("#kb-name", "hr-policies-e2e")
    page.click("#kb-form button[type='submit']")
    page.wait_for_selector("#kb-docs-form")
    assert "hr-policies-e2e" in page.text_content("#kb-created")
    assert live_server.api.get("/v1/knowledge-bases/hr-policies-e2e").status_code == 200
    shoot(page, "en-rag-knowledge-base")


@pytest.mark.parametrize("lang", ["en", "he"])
def test_the_guide_is_a_page_in_the_pages_style(page: Any, live_server: LiveServer, lang: str) -> None:
    page.goto(f"/guide/s2-when-fine-tuning-pays?lang={lang}")
    assert page.evaluate("document.documentElement.dir") == ("rtl" if lang == "he" else "ltr")
    section = live_server.api.get(f"/v1/guide/s2-when-fine-tuning-pays?lang={lang}").json()
    assert page.text_content("h1") == section["title"]
    assert page.locator("article section#s2-style h2").count() == 1, "its subsections come along"
    assert "**" not in page.inner_text("article")
    assert page.evaluate("getComputedStyle(document.querySelector('.panel')).borderRadius") == "8px", "the page's stylesheet"
    shoot(page, f"{lang}-guide-page")
    page.click(f"a[href='/guide?lang={lang}']")
    page.wait_for_selector("ul.guide-toc")
    assert page.locator("ul.guide-toc a").count() == len(live_server.api.get(f"/v1/guide?lang={lang}").json()["sections"])


@pytest.mark.parametrize(("path", "ready"), [("/docs", ".opblock-tag"), ("/redoc", "[role='menuitem'], .menu-content label")])
def test_api_docs_render_with_no_request_leaving_the_machine(page: Any, live_server: LiveServer, path: str, ready: str) -> None:
    outside: list[str] = []
    local = urlparse(live_server.url).netloc

    def guard(route: Any) -> None:
        url = route.request.url
        if urlparse(url).netloc == local or url.startswith(("data:", "blob:")):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    page.route("**/*", guard)
    page.goto(path)
    page.wait_for_selector(ready, timeout=STEP_TIMEOUT_MS * 2)
    assert outside == []
    if path == "/docs":
        groups = [name.strip() for name in page.locator(".opblock-tag").all_inner_texts()]
        assert groups[0].startswith("advice") and groups[-1].startswith("health")
        assert "A verdict for a use case" in page.inner_text(".opblock-tag-section")
    shoot(page, f"docs-offline{path.replace('/', '-')}")


def test_the_question_help_names_its_guide_section_once(page: Any, live_server: LiveServer) -> None:
    start(page, "en")
    question_id, _kind = current_question(page)
    schema = live_server.api.get("/v1/questionnaire/schema?lang=en").json()
    title = next(q for q in schema["questions"] if q["id"] == question_id)["guide"]["title"]
    help_text = page.text_content("#q-help")
    assert help_text.count(title) == 1
    assert page.get_attribute("#q-help a.guide-link", "href").startswith("/guide/")


def test_a_tuning_verdict_checks_a_training_file_in_the_page(page: Any, live_server: LiveServer) -> None:
    advice = stored_advice(live_server, TUNING_ELSEWHERE, "en")
    open_advice(page, advice["id"])
    rows = [
        {"messages": [{"role": "user", "content": f"Ticket {n}: printer broken"}, {"role": "assistant", "content": "it"}]}
        for n in range(5)
    ]
    data = "".join(json.dumps(row) + "\n" for row in rows).encode()
    page.set_input_files("#dataset-file", {"name": "train.jsonl", "mimeType": "application/jsonl", "buffer": data})
    page.click("#dataset-form button[type='submit']")
    page.wait_for_selector("#dataset-summary")
    provider = advice["tuning"]["provider"]
    direct = live_server.api.post("/v1/datasets", files={"file": ("train.jsonl", data)}, data={"provider": provider})
    report = direct.json()["report"]
    expected = f"{report['examples']} usable examples in {report['records']} records"
    assert page.text_content("#dataset-summary").startswith(expected)
    shoot(page, "en-training-data-check")
