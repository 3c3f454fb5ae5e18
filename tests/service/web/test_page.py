"""The page as files: `/` serves the labelled form skeleton, its scripts and styles load, nothing leaks into OpenAPI."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from rules.texts import STRATEGY_NAMES

CONTROLS = {"input", "textarea", "select"}


class Skeleton(HTMLParser):
    """Collects the controls, the labels' targets and the assets of an HTML page."""

    def __init__(self) -> None:
        super().__init__()
        self.controls: list[dict[str, str | None]] = []
        self.label_for: set[str] = set()
        self.assets: list[str] = []
        self.html: dict[str, str | None] = {}
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
        if tag == "html":
            self.html = found
        if tag in CONTROLS:
            self.controls.append(found)
        if tag == "label" and found.get("for"):
            self.label_for.add(str(found["for"]))
        if tag == "script" and found.get("src"):
            self.assets.append(str(found["src"]))
        if tag == "link" and found.get("rel") == "stylesheet":
            self.assets.append(str(found["href"]))


@pytest.fixture
def page(client: TestClient) -> Skeleton:
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    parsed = Skeleton()
    parsed.feed(response.text)
    return parsed


def test_index_is_a_labelled_form_skeleton(page: Skeleton) -> None:
    assert page.html.get("lang") == "en" and page.html.get("dir") == "ltr"
    assert {"start-form", "answer-form", "use-case", "lang-en", "lang-he", "q-help", "answer-error", "back", "next"} <= page.ids
    assert page.controls, "the start form has controls"
    for control in page.controls:
        control_id = control.get("id")
        labelled = control_id in page.label_for or control.get("aria-label") or control.get("aria-labelledby")
        assert labelled, f"control without a label: {control}"


def test_scripts_and_styles_load_with_their_types(client: TestClient, page: Skeleton) -> None:
    assert page.assets == ["/static/app.css", "/static/app.js"]
    css = client.get("/static/app.css")
    assert css.status_code == 200 and css.headers["content-type"] == "text/css; charset=utf-8"
    assert ":focus-visible" in css.text
    modules = (
        "app.js",
        "accuracy.js",
        "actions.js",
        "api.js",
        "artifacts.js",
        "chart.js",
        "dom.js",
        "downloads.js",
        "economics.js",
        "evalset.js",
        "forms.js",
        "i18n.js",
        "question.js",
        "strings.js",
        "summary.js",
        "try.js",
        "verdict.js",
    )
    for module in modules:
        script = client.get(f"/static/{module}")
        assert script.status_code == 200, module
        assert script.headers["content-type"] == "text/javascript; charset=utf-8"
        assert script.headers["cache-control"] == "no-cache"
    imports = client.get("/static/app.js").text
    modules = ("./actions.js", "./api.js", "./downloads.js", "./dom.js", "./i18n.js", "./question.js", "./try.js", "./verdict.js")
    for module in modules:
        assert f'from "{module}"' in imports


@pytest.mark.parametrize("name", ["missing.js", "..%2Fapi%2Fweb.py", "__init__.py", "files.py"])
def test_only_the_pages_own_files_are_served(client: TestClient, name: str) -> None:
    response = client.get(f"/static/{name}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_page_routes_stay_out_of_the_api_schema(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert "/" not in paths
    assert not [path for path in paths if path.startswith("/static")]
    assert client.get("/healthz").status_code == 200
    assert client.get("/docs").status_code == 200


def test_the_page_names_each_strategy_as_slack_and_the_cli_do(client: TestClient) -> None:
    strings = client.get("/static/strings.js").text
    english, hebrew = strings.split("\n  he: {\n")
    for block, language in ((english, "en"), (hebrew, "he")):
        names = dict(re.findall(r'^ {6}(\w+): "([^"]+)",$', block.split("    strategy: {", 1)[1], re.MULTILINE))
        assert names == {strategy: texts[language] for strategy, texts in STRATEGY_NAMES.items()}


@pytest.mark.parametrize("path", ["/advice/some-advice-id", "/try", "/try?advice=a&experiment=b"])
def test_an_advice_or_try_link_serves_the_page(client: TestClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 200 and response.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert 'src="/static/app.js"' in response.text


def test_every_ui_string_exists_in_both_languages(client: TestClient) -> None:
    strings = client.get("/static/strings.js").text
    english, hebrew = strings.split("\n  he: {\n")
    key = re.compile(r"^ {4,6}(\w+):", re.MULTILINE)
    assert len(key.findall(english)) > 50
    assert key.findall(english) == key.findall(hebrew)
