"""The knowledge check looks at lifecycles, not only at the age of as_of; the guide agrees with the catalog."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import yaml

from knowledge.checks import KnowledgeReport, knowledge_report, sdk_model_ids
from knowledge.guide_facts import render_block, sync_guides
from knowledge.loader import CATALOG_DIR, GUIDE_DIR, default_catalog, load_catalog

TODAY = dt.date(2026, 11, 24)


def codes(report: KnowledgeReport, code: str) -> set[str]:
    return {f.where for f in report.findings if f.code == code}


def test_todays_catalog_reports_the_coming_shutdowns_and_fails_strict() -> None:
    report = knowledge_report(default_catalog(), TODAY)
    soon = codes(report, "date_soon")
    assert "openai.models.gpt-4.1-mini" in soon and "openai.deprecations.openai-ft-new-jobs-end" in soon
    assert not any(w.startswith("google.") for w in soon)  # nothing Google changes before 2027-02-22
    assert codes(report, "past_shutdown_referenced") == set()
    assert codes(report, "stale") == set() and codes(report, "no_default") == set()
    assert report.exit_code(strict=True) == 1 and report.exit_code(strict=False) == 0
    assert report.lines()[-1].startswith(f"{len(report.failing())} findings that --strict counts")


def test_the_installed_sdks_are_read_without_importing_them() -> None:
    anthropic = sdk_model_ids("anthropic:anthropic/types/model_param.py:ModelParam")
    openai = sdk_model_ids("openai:openai/types/shared/chat_model.py:ChatModel")
    assert anthropic is not None and "claude-sonnet-5-5" in anthropic and "claude-sonnet-4-5" not in anthropic
    assert openai is not None and "gpt-6-luna" in openai and "gpt-4.1-mini" in openai
    assert sdk_model_ids("no-such-dist:x.py:X") is None
    report = knowledge_report(default_catalog(), TODAY)
    assert codes(report, "not_in_sdk") == {"anthropic.models.claude-sonnet-4-5"}


def test_an_as_of_older_than_60_days_is_stale() -> None:
    report = knowledge_report(default_catalog(), dt.date(2027, 2, 10), check_sdks=False)
    stale = codes(report, "stale")
    assert "openai" in stale and "openai.models.gpt-4.1.lifecycle" in stale
    # The same day OpenAI has no model left to tune and every 4.x model is past shutdown.
    assert "openai.tuning" in codes(report, "no_default")


def test_a_retired_model_still_named_somewhere_is_reported() -> None:
    texts = {
        "snippets/vertex.py": 'client.tunings.tune(base_model="gemini-2.5-flash")',
        "ok.py": 'model="gemini-2.5-flash-lite-x"',
    }
    report = knowledge_report(
        default_catalog(), TODAY, texts=texts, declared_defaults={"service/kb/prompt.py": "gemini-2.5-flash"}
    )
    assert codes(report, "past_shutdown_referenced") == {"snippets/vertex.py"}
    assert codes(report, "default_unavailable") == {"service/kb/prompt.py"}
    # After 2027-01-14 the guide's OpenAI snippet names a shut-down snapshot, and gpt-3.5-turbo's replacement is gone too.
    later = knowledge_report(default_catalog(), dt.date(2027, 1, 20), check_sdks=False)
    named = codes(later, "past_shutdown_referenced")
    assert "guide/en.md#s5-openai" in named and "guide/he.md#s5-openai" in named
    assert "openai.models.gpt-3.5-turbo.lifecycle.replacement" in named


def test_dates_within_90_days_are_reported_with_their_date() -> None:
    report = knowledge_report(default_catalog(), dt.date(2027, 2, 10), check_sdks=False)
    soon = {(f.where, f.date) for f in report.findings if f.code == "date_soon"}
    lite = "google.models.gemini-3.1-flash-lite"
    assert soon == {(lite, dt.date(2027, 4, 7)), (lite, dt.date(2027, 5, 7))}


def test_the_guide_lifecycle_blocks_match_the_catalog() -> None:
    catalog = default_catalog()
    assert sync_guides(catalog) == []
    en = (GUIDE_DIR / "en.md").read_text(encoding="utf-8")
    he = (GUIDE_DIR / "he.md").read_text(encoding="utf-8")
    for lang, text in (("en", en), ("he", he)):
        for block in ("lifecycle", "old-sheet"):
            assert render_block(catalog, lang, block) in text
    assert "| `gemini-2.5-flash` | shut down | 2025-06-17 | 2026-10-16 | yes | 2026-09-16 | `gemini-3.5-flash-lite` |" in en
    assert "| `gpt-4.1-nano` | נסגר | 2025-04-14 | 2026-10-23 | כן | 2026-10-23 | `gpt-5.6-luna` |" in he


def test_a_catalog_change_makes_the_guide_out_of_date(tmp_path: Path) -> None:
    for path in CATALOG_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    guides = tmp_path / "guide"
    shutil.copytree(GUIDE_DIR, guides)
    data = yaml.safe_load((tmp_path / "google.yaml").read_text())
    data["models"][0]["lifecycle"]["shutdown"] = "2027-07-21"
    (tmp_path / "google.yaml").write_text(yaml.safe_dump(data))
    catalog = load_catalog(tmp_path)
    report = knowledge_report(catalog, TODAY, guide_dir=guides, check_sdks=False)
    assert codes(report, "guide_out_of_date") == {"guide/en.md", "guide/he.md"}
    assert sync_guides(catalog, guides, write=True) != []
    assert sync_guides(catalog, guides) == []
    assert "| `gemini-3.5-flash-lite` | available | 2026-07-21 | 2027-07-21 |" in (guides / "en.md").read_text(encoding="utf-8")
