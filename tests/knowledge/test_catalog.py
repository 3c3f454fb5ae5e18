"""The provider catalog and the guide: loaded, validated, and right where the old sheet was wrong."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from knowledge.loader import CATALOG_DIR, default_catalog, guide_problems, load_catalog, load_guide, parse_guide, stale_entries


def test_every_entry_has_source_and_date() -> None:
    catalog = default_catalog()
    for entry in catalog.providers.values():
        assert entry.source.startswith("https://") and entry.as_of
        for model in entry.models:
            assert model.source.startswith("https://") and model.as_of


def test_catalog_states_todays_facts() -> None:
    catalog = default_catalog()
    openai = catalog.provider("openai")
    assert openai.fine_tuning_end() == dt.date(2027, 1, 6)
    assert openai.can_fine_tune(dt.date(2026, 11, 24)) and not openai.can_fine_tune(dt.date(2027, 1, 6))
    legacy = openai.model("gpt-3.5-turbo")
    assert legacy is not None and not legacy.tunable
    assert openai.model("ft:gpt-4.1-mini:org::abc") == openai.model("gpt-4.1-mini")
    assert not catalog.provider("anthropic").can_fine_tune(dt.date(2026, 11, 24))
    google = catalog.provider("google")
    assert "tunings.tune" in google.fine_tuning.how
    assert google.fine_tuning.adapter_sizes == [1, 2, 4, 8, 16]


def test_stale_entries_are_reported_not_fatal() -> None:
    catalog = default_catalog()
    assert stale_entries(catalog, dt.date(2026, 11, 24)) == []
    stale = stale_entries(catalog, dt.date(2028, 1, 1))
    assert {entry.where for entry in stale} >= {"openai", "google.models.gemini-2.5-flash"}


def test_a_broken_catalog_names_the_problem(tmp_path: Path) -> None:
    for path in CATALOG_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    data = yaml.safe_load((tmp_path / "openai.yaml").read_text())
    data["models"][0]["price"]["input_per_mtok"] = -1
    (tmp_path / "openai.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ValueError, match="input_per_mtok"):
        load_catalog(tmp_path)


def test_guides_have_the_same_sections() -> None:
    assert guide_problems() == []
    assert list(load_guide("en").sections) == list(load_guide("he").sections)


def test_guide_parser_rejects_duplicate_anchors() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        parse_guide("# t\n## A {#a}\nx\n## B {#a}\ny\n", "en")
