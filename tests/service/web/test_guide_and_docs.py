"""The pages beside the questionnaire: the guide rendered from Markdown, API docs served from this server,
the OpenAPI groups in order with descriptions, and every link Slack posts opening a page rather than JSON."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowledge.loader import default_guide
from service.slack.blocks import advice_blocks, artifact_blocks

HEBREW = re.compile(r"[\u0590-\u05FF]")
LINK = re.compile(r"<(https?://[^|>]+)\|")


def test_a_guide_section_is_an_html_page_with_its_markdown_rendered(client: TestClient) -> None:
    response = client.get("/guide/s1-context-illusion?lang=en")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "script-src" not in response.headers["content-security-policy"]  # default-src 'none': no script at all
    page = response.text
    assert '<html lang="en" dir="ltr">' in page
    assert f"<h1>{default_guide('en').sections['s1-context-illusion'].title}</h1>" in page
    # The bold lead-ins and the bullet list are HTML, not Markdown syntax.
    assert "<strong>Context window (short-term memory).</strong>" in page and "<li>" in page
    assert "**" not in page
    # The subsection comes with it, one heading level down, with its anchor as id.
    assert '<section id="s1-app-side-state" class="guide-section"><h2>' in page
    assert 'href="/guide/s1-context-illusion?lang=he"' in page, "a link to the same section in Hebrew"


def test_the_hebrew_guide_is_right_to_left_and_renders_tables_and_code(client: TestClient) -> None:
    page = client.get("/guide/s5-providers?lang=he").text
    assert '<html lang="he" dir="rtl">' in page
    assert HEBREW.search(page.split("<main", 1)[1])
    assert "<table>" in page, "the model lifecycle table is a table"
    assert "<pre><code" in page
    assert "&lt;!-- generated" not in page and "<!--" not in page, "the generator's markers are dropped"


def test_raw_html_in_the_guide_is_shown_as_text() -> None:
    from service.web.guide_pages import render_markdown

    rendered = render_markdown("Use <script>alert(1)</script> and [x](javascript:alert(1)) **bold**")
    assert "<script>" not in rendered and "&lt;script&gt;" in rendered
    assert 'href="javascript' not in rendered
    assert "<strong>bold</strong>" in rendered


def test_the_guide_index_lists_every_section_as_a_link(client: TestClient) -> None:
    page = client.get("/guide?lang=en").text
    for anchor in default_guide("en").sections:
        assert f'href="/guide/{anchor}?lang=en"' in page


def test_an_unknown_section_is_an_html_404_and_an_unknown_language_falls_back_to_english(client: TestClient) -> None:
    missing = client.get("/guide/no-such-section?lang=he")
    assert missing.status_code == 404 and missing.headers["content-type"].startswith("text/html")
    assert 'href="/guide?lang=he"' in missing.text
    assert '<html lang="en"' in client.get("/guide/s2-style?lang=xx").text


def test_docs_and_redoc_load_their_assets_from_this_server(client: TestClient) -> None:
    for path in ("/docs", "/redoc"):
        page = client.get(path)
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(source.startswith("/") for source in sources), sources
        assert "cdn." not in page.text and "fonts.googleapis" not in page.text
        for source in sources:
            asset = client.get(source)
            assert asset.status_code == 200, source
            assert len(asset.content) > 1000
    assert '"validatorUrl": null' in client.get("/docs").text
    assert client.get("/docs/assets/../../main.py").status_code == 404
    assert client.get("/docs/assets/core.py").status_code == 404


def test_openapi_groups_are_described_advice_first_health_last(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    names = [tag["name"] for tag in document["tags"]]
    assert names[0] == "advice" and names[-1] == "health"
    assert all(len(tag["description"]) > 20 for tag in document["tags"])
    used = {tag for path in document["paths"].values() for operation in path.values() for tag in operation.get("tags", [])}
    assert used <= set(names), f"undescribed groups: {used - set(names)}"
    assert document["paths"]["/v1/guide/{section}"]["get"]["tags"] == ["guide"]
    assert document["paths"]["/v1/rules"]["get"]["tags"] == ["rules"]
    assert next(iter(document["paths"])).startswith("/v1/advice")


@pytest.mark.parametrize("lang", ["en", "he"])
def test_every_link_slack_posts_opens_a_page(client: TestClient, lang: Any) -> None:
    created = client.post("/v1/advice", json={"profile": {"task": "Label tickets", "examples": 0}, "lang": lang})
    advice = created.json()
    reasons = [{"title": "t", "because": "b", "guide": reason["guide"]} for reason in advice["reasons"]] * 2  # > 3
    blocks = advice_blocks({**advice, "reasons": reasons}, [], lang, "http://testserver")
    blocks += artifact_blocks(advice["id"], advice["strategy"], {"parts": []}, lang, "http://testserver")
    links = LINK.findall(str(blocks))
    assert len({link.split("?")[0].split("#")[0] for link in links}) >= 3  # guide, advice, page
    for link in links:
        assert "/v1/" not in link, link
        page = client.get(link.removeprefix("http://testserver").split("#")[0])
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html"), link
