"""The guide as pages a person reads: `/guide` (the sections) and `/guide/{section}` (one section with its subsections).

The guide's Markdown (knowledge/guide/<lang>.md) is rendered on the server with markdown-it-py, raw HTML
off, so a guide text can never put markup or script into the page. The JSON stays at /v1/guide for programs.
"""

from __future__ import annotations

import re
from functools import cache
from html import escape
from typing import TYPE_CHECKING
from urllib.parse import quote

from knowledge.loader import Guide, GuideSection, default_guide

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

LANGS = ("en", "he")


# CommonMark plus GFM tables (the lifecycle table); raw HTML is shown as text, links keep markdown-it's URL check.
@cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt  # loaded with the first guide page, not with the API

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False}).enable("table")


_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)  # markers the catalog generator leaves around its tables
# No script runs on a guide page; it only loads the page's stylesheet.
GUIDE_CSP = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "app": "Tuning Advisor",
        "guide": "Guide",
        "contents": "Sections",
        "all": "All sections",
        "questionnaire": "Back to the questionnaire",
        "other_lang": "עברית",
        "not_found": "There is no guide section “{anchor}”.",
        "skip": "Skip to the text",
    },
    "he": {
        "app": "יועץ הכוונון",
        "guide": "מדריך",
        "contents": "פרקים",
        "all": "כל הפרקים",
        "questionnaire": "חזרה לשאלון",
        "other_lang": "English",
        "not_found": "אין במדריך פרק “{anchor}”.",
        "skip": "דלגו לטקסט",
    },
}


def lang_of(value: str | None) -> str:
    return value if value in LANGS else "en"


def render_markdown(text: str) -> str:
    rendered: str = _markdown().render(_COMMENT.sub("", text))
    return rendered


def section_url(anchor: str, lang: str) -> str:
    return f"/guide/{quote(anchor)}?lang={lang}"


def with_subsections(guide: Guide, anchor: str) -> list[GuideSection]:
    """The section and the deeper sections that follow it, up to the next one at its level or above."""
    sections = list(guide.sections.values())
    start = next(index for index, section in enumerate(sections) if section.anchor == anchor)
    found = [sections[start]]
    for section in sections[start + 1 :]:
        if section.level <= sections[start].level:
            break
        found.append(section)
    return found


def _parent(guide: Guide, anchor: str) -> GuideSection | None:
    parent = None
    for section in guide.sections.values():
        if section.anchor == anchor:
            return parent if parent is not None and parent.level < section.level else None
        if section.level == 2:
            parent = section
    return None


def _layout(lang: str, title: str, main: str, other_lang_url: str) -> str:
    words = WORDS[lang]
    direction = "rtl" if lang == "he" else "ltr"
    other = "he" if lang == "en" else "en"
    return (
        f'<!doctype html>\n<html lang="{lang}" dir="{direction}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} · {escape(words['app'])}</title>\n"
        '<link rel="icon" href="data:,">\n<link rel="stylesheet" href="/static/app.css">\n</head>\n<body class="guide-page">\n'
        f'<a class="skip" href="#main">{escape(words["skip"])}</a>\n'
        f'<header class="banner"><p class="app-name"><a href="/">{escape(words["app"])}</a> · '
        f'<a href="/guide?lang={lang}">{escape(words["guide"])}</a></p>\n'
        f'<p class="lang-switch"><a href="{escape(other_lang_url)}" lang="{other}" hreflang="{other}">'
        f"{escape(words['other_lang'])}</a></p></header>\n"
        f'<main id="main" tabindex="-1">\n{main}\n</main>\n'
        f'<footer class="footer"><a href="/">{escape(words["questionnaire"])}</a></footer>\n</body>\n</html>\n'
    )


@cache
def index_page(lang: str) -> str:
    guide = default_guide(lang)
    words = WORDS[lang]
    items = []
    for section in guide.sections.values():
        depth = "sub" if section.level > 2 else "top"
        items.append(f'<li class="{depth}"><a href="{section_url(section.anchor, lang)}">{escape(section.title)}</a></li>')
    main = (
        f'<article class="panel guide-article"><h1>{escape(guide.title)}</h1>\n'
        f'<nav aria-label="{escape(words["contents"])}"><ul class="guide-toc">\n' + "\n".join(items) + "\n</ul></nav></article>"
    )
    return _layout(lang, guide.title, main, f"/guide?lang={'he' if lang == 'en' else 'en'}")


def section_page(anchor: str, lang: str) -> str | None:
    """The section's page, or None when the guide has no such section."""
    return _section_page(anchor, lang) if anchor in default_guide(lang).sections else None


@cache  # only ever called with the guide's own anchors, so the cache stays as small as the guide
def _section_page(anchor: str, lang: str) -> str:
    guide = default_guide(lang)
    words = WORDS[lang]
    parts = []
    sections = with_subsections(guide, anchor)
    for section in sections:
        tag = f"h{min(1 + section.level - sections[0].level, 6)}"  # h1 for the section, no level skipped below it
        parts.append(
            f'<section id="{escape(section.anchor)}" class="guide-section"><{tag}>{escape(section.title)}</{tag}>\n'
            f"{render_markdown(section.body)}</section>"
        )
    parent = _parent(guide, anchor)
    up = f'<a href="{section_url(parent.anchor, lang)}">{escape(parent.title)}</a> · ' if parent else ""
    nav = f'<p class="guide-nav">{up}<a href="/guide?lang={lang}">{escape(words["all"])}</a></p>'
    main = f'<article class="panel guide-article" data-anchor="{escape(anchor)}">\n{nav}\n' + "\n".join(parts) + "\n</article>"
    title = guide.sections[anchor].title
    return _layout(lang, title, main, section_url(anchor, "he" if lang == "en" else "en"))


def not_found_page(anchor: str, lang: str) -> str:
    words = WORDS[lang]
    main = (
        f'<article class="panel guide-article"><h1>{escape(words["guide"])}</h1>'
        f"<p>{escape(words['not_found'].format(anchor=anchor))}</p>"
        f'<p><a href="/guide?lang={lang}">{escape(words["all"])}</a></p></article>'
    )
    return _layout(lang, words["guide"], main, f"/guide?lang={'he' if lang == 'en' else 'en'}")
