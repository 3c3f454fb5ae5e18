"""The provider catalog and the guide: loaded, validated, and right where the old sheet was wrong."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
import yaml

from knowledge.loader import (
    CATALOG_DIR,
    default_catalog,
    guide_problems,
    load_catalog,
    load_guide,
    parse_guide,
    sourced_facts,
    stale_entries,
)

TODAY = dt.date(2026, 11, 24)


def copy_catalog(tmp_path: Path) -> Path:
    for path in CATALOG_DIR.glob("*.yaml"):
        shutil.copy(path, tmp_path / path.name)
    return tmp_path


def test_every_fact_has_a_source_and_a_date() -> None:
    facts = list(sourced_facts(default_catalog()))
    assert len(facts) > 60
    for where, fact in facts:
        assert fact.source.startswith("https://") and fact.as_of, where
        assert fact.verified or fact.note, f"{where} is unverified without a note saying why"


def test_every_model_has_a_lifecycle() -> None:
    for entry in default_catalog().providers.values():
        for model in entry.models:
            life = model.lifecycle
            assert life.purposes, model.id
            assert model.tunable == (life.tuning is not None), model.id
            if life.tuning is not None:
                assert life.tuning.methods, model.id


def test_catalog_states_todays_facts() -> None:
    catalog = default_catalog()
    openai = catalog.provider("openai")
    assert openai.fine_tuning_end() == dt.date(2027, 1, 6)
    assert openai.can_fine_tune(TODAY) and not openai.can_fine_tune(dt.date(2027, 1, 6))
    assert [d.date for d in openai.restrictions] == [dt.date(2026, 5, 7), dt.date(2026, 7, 2), dt.date(2027, 1, 6)]
    legacy = openai.model("gpt-3.5-turbo")
    assert legacy is not None and not legacy.tunable and not legacy.available_on(TODAY)
    assert legacy.lifecycle.shutdown == dt.date(2026, 10, 23)
    nano = openai.model("gpt-4.1-nano")
    assert nano is not None and nano.lifecycle.fine_tunes_shut_down and not nano.tunable_on(TODAY)
    mini = openai.model("ft:gpt-4.1-mini:org::abc")
    assert mini == openai.model("gpt-4.1-mini") == openai.model("gpt-4.1-mini-2025-04-14")
    assert mini is not None and mini.lifecycle.deprecated == dt.date(2026, 10, 14)
    assert mini.lifecycle.shutdown == dt.date(2027, 1, 14) and mini.lifecycle.fine_tunes_shut_down
    assert mini.days_until_shutdown(TODAY) == 51 and mini.replacement == "gpt-6-luna"
    assert mini.tunable_on(TODAY) and not mini.tunable_on(dt.date(2027, 1, 6))
    assert not catalog.provider("anthropic").can_fine_tune(TODAY)
    google = catalog.provider("google")
    assert "tunings.tune" in google.fine_tuning.how and "enterprise=True" in google.fine_tuning.how
    assert set(google.fine_tuning.methods) == {"supervised", "preference", "reinforcement"}
    flash = google.model("gemini-2.5-flash")
    assert flash is not None and not flash.available_on(TODAY)
    assert flash.lifecycle.tuning is not None and flash.lifecycle.tuning.available_until == dt.date(2026, 9, 16)
    assert "disagree" in (flash.lifecycle.note or "")


def test_defaults_come_from_lifecycles_and_are_never_retired() -> None:
    catalog = default_catalog()
    got = {
        (p, purpose): (m.id if (m := catalog.default_model(p, purpose, TODAY)) else None)
        for p in ("openai", "google", "anthropic", "open_weights", "undecided")
        for purpose in ("tuning", "prompting", "extraction")
    }
    assert got[("openai", "tuning")] == "gpt-4.1-mini"
    assert got[("openai", "prompting")] == "gpt-6.1-terra" and got[("openai", "extraction")] == "gpt-6-luna"
    assert got[("google", "tuning")] == "gemini-3.5-flash-lite" and got[("google", "prompting")] == "gemini-3.5-flash"
    assert got[("anthropic", "tuning")] is None and got[("anthropic", "prompting")] == "claude-sonnet-5-5"
    assert got[("undecided", "tuning")] == "gemini-3.5-flash-lite"
    assert got[("open_weights", "tuning")] == "Qwen/Qwen2.5-7B-Instruct"
    # The old default was gemini-2.5-flash; it retired on 2026-10-16 and can never be a default after that.
    for day in (TODAY, dt.date(2027, 1, 6), dt.date(2027, 6, 1)):
        for p in ("openai", "google", "anthropic", "open_weights"):
            for purpose in ("tuning", "prompting", "extraction"):
                model = catalog.default_model(p, purpose, day)
                assert model is None or model.available_on(day)
                assert purpose != "tuning" or model is None or model.tunable_on(day)
    # From OpenAI's cut-off on, no OpenAI model can be tuned; the old API falls back to a prompting model.
    assert catalog.default_model("openai", "tuning", dt.date(2027, 1, 6)) is None
    fallback = catalog.provider("openai").default_model(dt.date(2027, 1, 6))
    assert fallback is not None and not fallback.tunable_on(dt.date(2027, 1, 6))


def test_a_newer_model_becomes_the_default_on_its_release_day(tmp_path: Path) -> None:
    directory = copy_catalog(tmp_path)
    data = yaml.safe_load((directory / "google.yaml").read_text())
    newer = {**data["models"][0], "id": "gemini-9-flash-lite"}
    newer["lifecycle"] = {**newer["lifecycle"], "released": "2027-02-01"}
    data["models"].append(newer)
    (directory / "google.yaml").write_text(yaml.safe_dump(data))
    catalog = load_catalog(directory)
    assert catalog.default_model("google", "tuning", dt.date(2027, 1, 31)).id == "gemini-3.5-flash-lite"  # type: ignore[union-attr]
    assert catalog.default_model("google", "tuning", dt.date(2027, 2, 1)).id == "gemini-9-flash-lite"  # type: ignore[union-attr]


def test_stale_entries_cover_lifecycles_and_prices() -> None:
    catalog = default_catalog()
    assert stale_entries(catalog, TODAY) == []
    stale = {entry.where for entry in stale_entries(catalog, dt.date(2027, 2, 10), max_age_days=60)}
    assert {"openai", "openai.models.gpt-4.1-mini.lifecycle", "google.models.gemini-2.5-flash.price"} <= stale


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("models", 3, "price", "input_per_mtok"), -1, "input_per_mtok"),
        (("models", 3, "price", "source"), None, "source"),
        (("models", 3, "lifecycle", "source"), "docs.openai.com", "https://"),
        (("models", 3, "lifecycle", "shutdown"), "2024-01-01", "not after released"),
        (("models", 3, "tunable"), False, "tuning block"),
    ],
)
def test_a_broken_catalog_names_the_problem(tmp_path: Path, path: tuple[object, ...], value: object, message: str) -> None:
    directory = copy_catalog(tmp_path)
    data = yaml.safe_load((directory / "openai.yaml").read_text())
    node = data
    for key in path[:-1]:
        node = node[key]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value
    (directory / "openai.yaml").write_text(yaml.safe_dump(data))
    with pytest.raises(ValueError, match=message):
        load_catalog(directory)


def test_guides_have_the_same_sections() -> None:
    assert guide_problems() == []
    assert list(load_guide("en").sections) == list(load_guide("he").sections)
    assert "s5-lifecycle" in load_guide("en").sections


def test_guide_parser_rejects_duplicate_anchors() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        parse_guide("# t\n## A {#a}\nx\n## B {#a}\ny\n", "en")
