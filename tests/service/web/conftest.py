"""A real server and a real headless Chromium for the page's end-to-end tests.

The app runs under uvicorn on a free loopback port in a thread (temporary SQLite, rule-based intake, no
keys); Debian's /usr/bin/chromium is driven through Playwright. Without that binary the browser tests
skip and say so; `make test` installs it where it can.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from service.auth import service as keys
from service.config import Settings
from service.main import create_app
from tests.conftest import TODAY

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
STEP_TIMEOUT_MS = 15_000


@dataclass
class LiveServer:
    url: str
    api: httpx.Client

    def session(self, session_id: str) -> dict[str, Any]:
        response = self.api.get(f"/v1/questionnaire/sessions/{session_id}")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result


@contextmanager
def serve(settings: Settings) -> Iterator[tuple[LiveServer, FastAPI]]:
    """Run the app for ``settings`` under uvicorn on a free loopback port until the block ends."""
    app = create_app(settings, clock=lambda: TODAY)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=30) as client:
            yield LiveServer(url=url, api=client), app
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()
        app.state.database.dispose()


def _settings(data_dir: Path, auth: Literal["on", "off"]) -> Settings:
    return Settings(data_dir=data_dir, database_url=None, auth=auth, intake_provider="rules", log_level="WARNING")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The app in open mode (the local run): no keys."""
    with serve(_settings(tmp_path_factory.mktemp("web-e2e"), "off")) as (server, _app):
        yield server


@pytest.fixture(scope="session")
def keyed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    """The app with API keys on, and one valid key of tenant `acme`."""
    with serve(_settings(tmp_path_factory.mktemp("web-e2e-keys"), "on")) as (server, app):
        with app.state.database.session() as session:
            issued = keys.issue(session, "acme", "web e2e")
        yield server, issued.key


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed at /usr/bin/chromium (apt-get install -y chromium; `make test` does it as root)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@contextmanager
def open_page(browser: Any, server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh browser context on the page, ready; a screenshot if the test failed; no uncaught page errors."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1000, "height": 1000}, base_url=server.url)
    context.set_default_timeout(STEP_TIMEOUT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto("/")
    opened.wait_for_selector("body[data-ready='true']")
    yield opened
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        shoot(opened, f"{request.node.name}-failed")
    context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


@pytest.fixture
def page(browser: Any, live_server: LiveServer, request: pytest.FixtureRequest) -> Iterator[Any]:
    with open_page(browser, live_server, request) as opened:
        yield opened


@pytest.fixture
def keyed_page(browser: Any, keyed_server: tuple[LiveServer, str], request: pytest.FixtureRequest) -> Iterator[Any]:
    with open_page(browser, keyed_server[0], request) as opened:
        yield opened


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.when == "call":
        item.rep_call = report  # type: ignore[attr-defined]
    return report


def shoot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as a test artifact and print where it went."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '-', name)}.png"
    page.screenshot(path=str(path), full_page=True)
    print(f"screenshot: {path}")
    return path


# --- driving the questionnaire ---------------------------------------------------------------------------


def view(page: Any) -> str:
    value: str = page.evaluate("document.body.dataset.view || ''")
    return value


def wait_for_new_view(page: Any, before: str) -> str:
    page.wait_for_function("(before) => (document.body.dataset.view || '') !== before", arg=before)
    return view(page)


def start(page: Any, lang: str = "en", description: str = "") -> str:
    page.check(f"#lang-{lang}")
    if description:
        page.fill("#use-case", description)
    before = view(page)
    page.click("#start-button")
    return wait_for_new_view(page, before)


def current_question(page: Any) -> tuple[str, str]:
    found = page.evaluate("(({question, type}) => [question, type])(document.querySelector('#question').dataset)")
    return found[0], found[1]


def fill_answer(page: Any, value: Any) -> None:
    """Put ``value`` into the control on screen (radio, number or text); None keeps what is there."""
    _question_id, kind = current_question(page)
    if kind in ("choice", "yes_no"):
        if value is None:
            if not page.locator("input[name='answer']:checked").count():
                page.locator("input[name='answer']").first.check()
            return
        page.locator(f"input[name='answer'][value='{json.dumps(value)}']").check()
    elif value is not None:
        page.fill("#answer-input", str(value))


def submit_answer(page: Any) -> str:
    before = view(page)
    page.click("#next")
    return wait_for_new_view(page, before)


def answer_until_verdict(page: Any, profile: dict[str, Any], max_questions: int = 40) -> str:
    """Answer every question from ``profile`` (or keep the shown default) until the verdict is up."""
    current = view(page)
    for _ in range(max_questions):
        if current.startswith("verdict:"):
            return current.split(":")[1]
        question_id, _kind = current_question(page)
        fill_answer(page, profile.get(question_id))
        current = submit_answer(page)
    raise AssertionError(f"no verdict after {max_questions} answers")


def answer_until(page: Any, target: str, profile: dict[str, Any], max_questions: int = 40) -> None:
    """Answer from ``profile`` until the question ``target`` is on screen."""
    for _ in range(max_questions):
        question_id, _kind = current_question(page)
        if question_id == target:
            return
        assert not view(page).startswith("verdict:"), f"reached the verdict before {target}"
        fill_answer(page, profile.get(question_id))
        submit_answer(page)
    raise AssertionError(f"{target} was never asked")


def session_id(page: Any) -> str:
    saved = page.evaluate("JSON.parse(sessionStorage.getItem('tuning-advisor.session'))")
    value: str = saved["id"]
    return value
