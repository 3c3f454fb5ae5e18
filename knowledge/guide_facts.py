"""The guide's lifecycle facts, written from the catalog so the two cannot disagree.

Each guide holds two generated blocks between ``<!-- generated:NAME begin -->`` and
``<!-- generated:NAME end -->`` markers: ``lifecycle`` (every model's dates and the providers'
dated restrictions) and ``old-sheet`` (what the original cheat sheet names and where it is now wrong).
Both are rendered as of ``catalog.checked_on``. Regenerate with ``python -m knowledge.guide_facts --write``.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

from knowledge.loader import GUIDE_DIR, GUIDE_LANGS, Catalog, ModelEntry, load_catalog

# Sections allowed to name shut-down models: the generated lifecycle table and the corrections.
ALLOWED_RETIRED_SECTIONS = frozenset({"s5-lifecycle", "s7-corrections"})
# Models the original Hebrew cheat sheet tells readers to use (shared/seed).
OLD_SHEET_MODELS: tuple[tuple[str, str], ...] = (("openai", "gpt-3.5-turbo"), ("google", "gemini-1.0-pro-001"))
BLOCKS = ("lifecycle", "old-sheet")

_WORDS = {
    "en": {
        "head": "| Model | Status on {day} | Released | Shutdown | Fine-tunes stop too | Tuning until | Replacement |",
        "available": "available",
        "deprecated": "deprecated",
        "shut": "shut down",
        "yes": "yes",
        "no": "no",
        "none": "—",
        "open": "open",
        "unverified": "unverified, see the catalog note",
        "provider_head": "Provider-level dates:",
        "sheet": "- `{id}`: the old sheet uses it; {status} ({when}){repl}.",
        "sheet_shut": "shut down on {day}",
        "sheet_repl": "; use `{repl}` instead",
        "sheet_tuning": "- Tuning today: the newest models you can tune on {day} are {models}.",
    },
    "he": {
        "head": "| מודל | מצב ב-{day} | שוחרר | סגירה | גם המכווננים נסגרים | כוונון עד | מחליף |",
        "available": "זמין",
        "deprecated": "הוצא משימוש",
        "shut": "נסגר",
        "yes": "כן",
        "no": "לא",
        "none": "—",
        "open": "פתוח",
        "unverified": "לא אומת, ראו את ההערה בקטלוג",
        "provider_head": "תאריכים ברמת הספק:",
        "sheet": "- `{id}`: דף העזר הישן משתמש בו; {status} ({when}){repl}.",
        "sheet_shut": "נסגר ב-{day}",
        "sheet_repl": "; השתמשו ב-`{repl}` במקומו",
        "sheet_tuning": "- כוונון היום: המודלים החדשים ביותר שאפשר לכוונן ב-{day} הם {models}.",
    },
}


def _status(model: ModelEntry, day: dt.date, w: dict[str, str]) -> str:
    if not model.available_on(day):
        return w["shut"]
    deprecated = model.lifecycle.deprecated
    status = w["deprecated"] if deprecated and deprecated <= day else w["available"]
    return status if model.lifecycle.verified else f"{status} ({w['unverified']})"


def _label(display_name: str) -> str:
    return display_name.split(" (")[0]


def _row(model: ModelEntry, day: dt.date, w: dict[str, str]) -> str:
    life = model.lifecycle
    tuning = life.tuning
    until = w["none"] if tuning is None else str(tuning.available_until or w["open"])
    stops = w["none"] if life.fine_tunes_shut_down is None else w["yes" if life.fine_tunes_shut_down else "no"]
    cells = [
        f"`{model.id}`",
        _status(model, day, w),
        str(life.released or w["none"]),
        str(life.shutdown or w["none"]),
        stops,
        until,
    ]
    cells.append(f"`{life.replacement}`" if life.replacement else w["none"])
    return "| " + " | ".join(cells) + " |"


def render_block(catalog: Catalog, lang: str, name: str) -> str:
    """The text of block ``name`` for the guide in ``lang``, as of the catalog's last check."""
    w, day = _WORDS[lang], catalog.checked_on
    if name == "lifecycle":
        lines = [w["head"].format(day=day), "|---|---|---|---|---|---|---|"]
        lines += [_row(m, day, w) for entry in catalog.providers.values() for m in entry.models]
        lines += ["", w["provider_head"]]
        for entry in catalog.providers.values():
            for dep in sorted(entry.deprecations, key=lambda d: d.date):
                what = dep.what_he if lang == "he" and dep.what_he else dep.what
                lines.append(f"- {dep.date} ({_label(entry.display_name)}): {what}")
        return "\n".join(lines)
    if name == "old-sheet":
        lines = []
        for provider, model_id in OLD_SHEET_MODELS:
            model = catalog.provider(provider).model(model_id, day)
            if model is None:
                raise KeyError(f"{provider}/{model_id} is missing from the catalog")
            shut = model.lifecycle.shutdown
            status = w["sheet_shut"].format(day=shut) if shut and shut <= day else _status(model, day, w)
            repl = w["sheet_repl"].format(repl=model.lifecycle.replacement) if model.lifecycle.replacement else ""
            lines.append(
                w["sheet"].format(id=model.id, status=status, when=_label(catalog.provider(provider).display_name), repl=repl)
            )
        tunable = [f"`{m.id}`" for p in catalog.providers.values() if (m := p.default_for("tuning", day)) is not None]
        lines.append(w["sheet_tuning"].format(day=day, models=", ".join(tunable)))
        return "\n".join(lines)
    raise KeyError(name)


def _block_pattern(name: str) -> re.Pattern[str]:
    return re.compile(rf"<!-- generated:{name} begin -->\n(.*?)\n?<!-- generated:{name} end -->", re.S)


def sync_guides(catalog: Catalog, directory: Path = GUIDE_DIR, write: bool = False) -> list[tuple[str, str]]:
    """(where, problem) for each generated block that differs from the catalog; rewrites them when ``write``."""
    problems: list[tuple[str, str]] = []
    for lang in GUIDE_LANGS:
        path = directory / f"{lang}.md"
        text = original = path.read_text(encoding="utf-8")
        for name in BLOCKS:
            pattern = _block_pattern(name)
            match = pattern.search(text)
            if match is None:
                problems.append((f"guide/{lang}.md", f"lacks the generated {name} block"))
                continue
            wanted = render_block(catalog, lang, name)
            if match.group(1) != wanted:
                problems.append(
                    (
                        f"guide/{lang}.md",
                        f"the {name} block disagrees with the catalog; run python -m knowledge.guide_facts --write",
                    )
                )
                block = f"<!-- generated:{name} begin -->\n{wanted}\n<!-- generated:{name} end -->"
                text = text[: match.start()] + block + text[match.end() :]
        if write and text != original:
            path.write_text(text, encoding="utf-8")
    return problems


def guide_lifecycle_problems(catalog: Catalog, directory: Path = GUIDE_DIR) -> list[tuple[str, str]]:
    return sync_guides(catalog, directory, write=False)


if __name__ == "__main__":  # pragma: no cover - a maintenance command
    found = sync_guides(load_catalog(), write="--write" in sys.argv)
    for where, problem in found:
        print(f"{where}: {problem}")
    sys.exit(1 if found and "--write" not in sys.argv else 0)
