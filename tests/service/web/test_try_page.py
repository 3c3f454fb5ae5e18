""" "Try it on your data" in a real Chromium, against a real OpenAI-compatible server on loopback.

The page posts the experiment; the test then runs the worker's runner on the app's database (what the
worker's consumer would call) while the page polls, and checks what a person reads: the accuracy, its
interval, one bar per candidate, the table, the errors with their line numbers, the Hebrew labels.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from fastapi import FastAPI

from service.config import Settings
from service.experiments.runner import run_experiment
from service.experiments.stats import wilson
from tests.conftest import TODAY
from tests.service.experiments.fake_chat import FakeChat
from tests.service.experiments.fake_chat import serve as serve_chat
from tests.service.experiments.test_experiments import LABELS, SCRIPTS
from tests.service.web.conftest import LiveServer, answer_until_verdict, open_page, serve, shoot

JSONL = "\n".join(json.dumps({"input": text, "expected": label}) for text, label in LABELS.items())
CSV = "input,expected\n" + "\n".join(f'"{text}",{label}' for text, label in LABELS.items())
PROFILE = {"task": "Label support tickets", "provider": "openai", "examples": 12, "prompting_status": "not_tried"}


def interval(correct: int, n: int) -> str:
    low, high = wilson(correct, n)
    return f"[{low:.2f}, {high:.2f}]"


@pytest.fixture(scope="module")
def experiment_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, FastAPI]]:
    data_dir = tmp_path_factory.mktemp("web-try")
    # No hosted provider's key, whatever the environment holds: the page must say where keys come from.
    keyless: dict[str, Any] = {"OPENAI_API_KEY": None, "ANTHROPIC_API_KEY": None, "GOOGLE_API_KEY": None}
    settings = Settings(
        data_dir=data_dir,
        database_url=None,
        auth="off",
        intake_provider="rules",
        log_level="WARNING",
        experiment_retries=2,
        **keyless,
    )
    with serve(settings) as (server, app):
        yield server, app


@pytest.fixture
def page(browser: Any, experiment_server: tuple[LiveServer, FastAPI], request: pytest.FixtureRequest) -> Iterator[Any]:
    with open_page(browser, experiment_server[0], request) as opened:
        yield opened


@pytest.fixture
def chat() -> Iterator[tuple[FakeChat, str]]:
    fake = FakeChat({k: list(v) for k, v in SCRIPTS.items()}, truth=LABELS)
    with serve_chat(fake) as url:
        yield fake, url


def open_alone(page: Any, lang: str = "en") -> None:
    page.check(f"#lang-{lang}")
    page.click("#try-start")
    page.wait_for_selector("#try[data-state='form']")


def target(page: Any, url: str) -> None:
    page.select_option("#try-provider", "openai_compatible")
    page.fill("#try-model", "llama3.2")
    page.fill("#try-base-url", url)


def run_posted(page: Any, app: FastAPI) -> str:
    """Wait for the page to follow its experiment, run it as the worker would, and wait for the results."""
    page.wait_for_selector("#try[data-state='running']")
    experiment_id = parse_qs(urlparse(page.url).query)["experiment"][0]
    state = run_experiment(app.state.database, experiment_id, app.state.settings, sleep=lambda _s: None, today=TODAY)
    assert state == "succeeded"
    page.wait_for_selector("#try[data-state='succeeded']")
    return experiment_id


def table(page: Any) -> dict[str, dict[str, str]]:
    rows = page.locator("#try-table tbody tr")
    return {
        rows.nth(i).get_attribute("data-candidate"): {
            cell: rows.nth(i).locator(f"td.{cell}").inner_text().strip() for cell in ("accuracy", "interval", "correct")
        }
        for i in range(rows.count())
    }


def test_on_its_own_a_pasted_set_runs_and_shows_accuracy_with_its_interval(
    page: Any, experiment_server: tuple[LiveServer, FastAPI], chat: tuple[FakeChat, str]
) -> None:
    server, app = experiment_server
    fake, url = chat
    open_alone(page)
    assert page.get_attribute("#try-few-shot", "disabled") is not None  # no advice, no few-shot prompt
    page.fill("#try-items", JSONL)
    assert page.text_content("#try-items-count") == "10 examples read."
    target(page, url)
    page.click("#try-run")
    page.wait_for_selector("#try[data-state='running']")
    assert page.inner_text("#try-estimate") == "Estimated cost: $0.00"
    page.wait_for_function("() => document.querySelector('#try-progress-text').textContent !== ''")
    assert page.text_content("#try-progress-text") == "Waiting for the worker: 0 of 10 calls done."
    experiment_id = run_posted(page, app)

    assert page.text_content("#try-progress-text") == "Finished: 10 of 10 calls done."
    assert page.locator("#try-results svg rect.bar").count() == 1
    whisker = page.locator("#try-results svg line.whisker[data-low]")
    low, high = wilson(7, 10)
    assert (float(whisker.get_attribute("data-low")), float(whisker.get_attribute("data-high"))) == (low, high)
    assert table(page) == {"zero_shot": {"accuracy": "0.70", "interval": interval(7, 10), "correct": "7 / 10"}}
    assert page.text_content("#try-summary") == f"zero-shot 0.70 {interval(7, 10)}"
    assert set(fake.answered.values()) == {1} and len(fake.answered) == 10
    shoot(page, "try-alone-results")

    # Used in an advice: the questionnaire's verdict offers the measurement, and the new advice is measured.
    page.fill("#try-target-accuracy", "0.3")
    page.click("#try-use")
    page.wait_for_selector("#start:not([hidden])")
    assert page.text_content("#status") == "Answer the questionnaire; the verdict will offer to use your measurement."
    page.click("#start-button")
    page.wait_for_selector("#question:not([hidden])")
    answer_until_verdict(page, PROFILE)
    page.wait_for_selector("#try-apply:not([hidden])")
    assert experiment_id in page.text_content("#try-apply")
    page.click("#try-apply-button")
    page.wait_for_url(re.compile(r"/advice/[^/]+$"))
    page.wait_for_selector("body[data-ready='true']")
    page.wait_for_selector("#verdict:not([hidden])")
    first = page.locator("#reasons li").first
    assert first.get_attribute("data-rule") == "measured"
    assert f"measured: zero-shot 0.70 {interval(7, 10)}. The target accuracy is 0.30." in first.text_content()
    assert page.locator("#try-apply").is_hidden()
    assert server.api.get(f"/v1/experiments/{experiment_id}").json()["state"] == "succeeded"


def test_from_a_verdict_few_shot_against_zero_shot_and_into_the_advice(
    page: Any, experiment_server: tuple[LiveServer, FastAPI], chat: tuple[FakeChat, str]
) -> None:
    server, app = experiment_server
    _fake, url = chat
    examples = [{"input": f"example ticket {i}", "output": label} for i, label in enumerate(["billing", "shipping", "other"] * 4)]
    made = server.api.post("/v1/advice", json={"profile": PROFILE, "artifact": True, "examples": examples})
    assert made.status_code == 201, made.text
    advice = made.json()
    (prompt,) = [part for part in advice["artifact"]["parts"] if part["kind"] == "few_shot_prompt"]
    page.goto(f"/advice/{advice['id']}")
    page.wait_for_selector(f"#verdict[data-advice-id='{advice['id']}']")
    page.click("#try-from-verdict")
    page.wait_for_selector("#try[data-state='form']")

    # Prefilled from the advice: its provider and model, its few-shot prompt, its held-out examples.
    assert page.input_value("#try-provider") == "openai" and page.input_value("#try-model") == prompt["model"]
    assert page.is_checked("#try-few-shot") and page.is_enabled("#try-few-shot")
    assert page.input_value("#try-items") == prompt["files"]["held_out.jsonl"]
    # No OpenAI key on this server: the page says the key comes from the server's environment only.
    page.fill("#try-items", JSONL)
    page.click("#try-run")
    page.wait_for_selector("#try-provider-error:not([hidden])")
    said = page.text_content("#try-provider-error")
    assert said.startswith("The server has no key for this provider. Keys are read only from the server's environment")
    assert "OPENAI_API_KEY" in said and page.get_attribute("#try-provider", "aria-invalid") == "true"

    target(page, url)
    page.click("#try-run")
    run_posted(page, app)
    assert page.locator("#try-results svg rect.bar").count() == 2
    assert page.locator("#try-results svg line.whisker[data-low]").count() == 2
    assert table(page) == {
        "zero_shot": {"accuracy": "0.70", "interval": interval(7, 10), "correct": "7 / 10"},
        "few_shot": {"accuracy": "1.00", "interval": interval(10, 10), "correct": "10 / 10"},
    }
    assert page.text_content("#try-summary") == f"few-shot 1.00 {interval(10, 10)} vs zero-shot 0.70 {interval(7, 10)}"
    shoot(page, "try-from-verdict-results")

    page.fill("#try-target-accuracy", "0.7")
    page.click("#try-use")
    page.wait_for_url(re.compile(r"/advice/[^/]+$"))
    page.wait_for_selector("#verdict:not([hidden])")
    assert page.get_attribute("#verdict", "data-advice-id") != advice["id"]
    first = page.locator("#reasons li").first
    assert first.get_attribute("data-rule") == "measured"
    assert f"few-shot 1.00 {interval(10, 10)} vs zero-shot 0.70" in first.text_content()
    assert page.locator("#next-steps li").first.text_content().startswith("Ship few-shot: it meets the target.")


def test_bad_rows_are_named_by_line_and_a_cost_over_budget_waits_for_confirmation(
    page: Any, experiment_server: tuple[LiveServer, FastAPI], chat: tuple[FakeChat, str], tmp_path: Path
) -> None:
    _server, _app = experiment_server
    _fake, url = chat
    open_alone(page)
    target(page, url)
    lines = JSONL.splitlines()
    page.fill("#try-items", "\n".join([lines[0], lines[1], '{"input": "ticket 3", "expected": "billing"', *lines[3:]]))
    page.click("#try-run")
    assert page.text_content("#try-items-error") == "Line 3: this is not JSON."
    assert page.get_attribute("#try-items", "aria-invalid") == "true"
    page.fill("#try-items", "\n".join([lines[0], "", json.dumps({"input": "", "expected": "x"})]))
    page.click("#try-run")
    assert page.text_content("#try-items-error") == "Line 3: the input is missing or empty."
    page.fill("#try-items", "input,expected\nticket 1,billing\nticket 2\n")
    page.click("#try-run")
    assert page.text_content("#try-items-error") == "Line 3: 1 columns where the header has 2."

    page.fill("#try-items", JSONL)
    page.select_option("#try-grader", "rubric")
    page.click("#try-run")
    assert page.text_content("#try-rubric-error") == "Write the rubric the judge grades against."
    page.select_option("#try-grader", "exact")
    assert page.is_hidden("#try-rubric-box")

    uploaded = tmp_path / "eval.csv"
    uploaded.write_text(CSV, encoding="utf-8")
    page.set_input_files("#try-file", str(uploaded))
    page.wait_for_function("() => document.querySelector('#try-items-count').textContent === '10 examples read.'")
    assert page.is_hidden("#try-items-error")
    page.fill("#try-price-in", "1000")
    page.fill("#try-price-out", "1000")
    page.fill("#try-max-cost", "0.01")
    page.click("#try-run")
    page.wait_for_selector("#try[data-state='confirm']")
    detail = page.text_content("#try-cost-detail")
    assert "Not started: the estimate is over the budget." in detail and "Estimated cost $0.2010" in detail
    page.click("#try-confirm")
    page.wait_for_selector("#try[data-state='running']")
    assert page.inner_text("#try-estimate") == "Estimated cost: $0.201"


def test_in_hebrew_the_view_reads_right_to_left_with_hebrew_labels(
    page: Any, experiment_server: tuple[LiveServer, FastAPI], chat: tuple[FakeChat, str]
) -> None:
    _server, app = experiment_server
    _fake, url = chat
    open_alone(page, "he")
    assert page.get_attribute("html", "dir") == "rtl"
    assert page.text_content("#try-title") == "נסו על הנתונים שלכם"
    assert page.text_content("#try-key-note") == "המפתחות נקראים רק מסביבת השרת; הדף הזה לעולם לא מבקש מפתח."
    page.fill("#try-items", '{"input": "ticket 1", "expected": "billing"}\nnot json')
    page.click("#try-run")
    assert page.text_content("#try-items-error") == "שורה 2: זה אינו JSON."
    page.fill("#try-items", JSONL)
    target(page, url)
    page.click("#try-run")
    run_posted(page, app)
    assert page.text_content("#try-results-title") == "דיוק על סט ההערכה שלכם"
    headers = page.locator("#try-table thead th").all_text_contents()
    assert headers[:3] == ["מועמד", "דיוק", "רווח סמך 95%"]
    assert page.locator("#try-table tbody th").first.inner_text().startswith("ללא דוגמאות (zero-shot)")
    assert table(page)["zero_shot"]["interval"] == interval(7, 10)
    assert page.text_content("#try-use") == "השתמשו בה בהמלצה: ענו על השאלון"
    shoot(page, "try-he-results")


def test_a_stopped_run_reloads_by_its_address_and_resumes(
    page: Any, experiment_server: tuple[LiveServer, FastAPI], chat: tuple[FakeChat, str]
) -> None:
    _server, app = experiment_server
    fake, url = chat
    open_alone(page)
    page.fill("#try-items", JSONL)
    target(page, url)
    page.click("#try-run")
    page.wait_for_selector("#try[data-state='running']")
    experiment_id = parse_qs(urlparse(page.url).query)["experiment"][0]
    fake.fail_after = 4  # the server goes down after four answers: the run stops, what was answered is kept
    database, settings = app.state.database, app.state.settings
    assert run_experiment(database, experiment_id, settings, sleep=lambda _s: None, today=TODAY) == "failed"

    page.reload()  # the address keeps the experiment: the page follows it again
    page.wait_for_selector("#try[data-state='failed']")
    assert page.text_content("#try-failed").startswith("The run stopped: ")
    assert page.text_content("#try-progress-text").startswith("Stopped: ")
    page.click("#try-resume")
    page.wait_for_selector("#try[data-state='running']")
    fake.fail_hard, fake.fail_after = False, None
    assert run_experiment(database, experiment_id, settings, sleep=lambda _s: None, today=TODAY) == "succeeded"
    page.wait_for_selector("#try[data-state='succeeded']")
    assert table(page) == {"zero_shot": {"accuracy": "0.70", "interval": interval(7, 10), "correct": "7 / 10"}}
    assert set(fake.answered.values()) == {1} and len(fake.answered) == 10  # nothing answered was paid for twice


def test_the_rubric_grader_has_the_target_judge_each_answer(page: Any, experiment_server: tuple[LiveServer, FastAPI]) -> None:
    _server, app = experiment_server
    rubric = "Names one team: billing, shipping, refund or other."
    # The judge's question holds the rubric (the longest script text in it): PASS, but FAIL for two tickets' answers.
    fake = FakeChat({k: list(v) for k, v in SCRIPTS.items()} | {f"Rubric:\n{rubric}": ["PASS"]})
    fake.scripts[f"Rubric:\n{rubric}\n\nInput:\nticket 8\n"] = ["FAIL"]
    fake.scripts[f"Rubric:\n{rubric}\n\nInput:\nticket 9\n"] = ["fail"]
    with serve_chat(fake) as url:
        open_alone(page)
        page.fill("#try-items", JSONL)
        target(page, url)
        page.select_option("#try-grader", "rubric")
        page.fill("#try-rubric", rubric)
        page.click("#try-run")
        run_posted(page, app)
    assert table(page) == {"zero_shot": {"accuracy": "0.80", "interval": interval(8, 10), "correct": "8 / 10"}}
    judged = [body for body in fake.bodies if body["messages"][0]["role"] == "system"]
    assert len(judged) == 10 and judged[0]["messages"][0]["content"].endswith("Reply with exactly PASS or FAIL and nothing else.")
