"""One provider object per catalog file; `undecided` resolved in one place; defaults by date, never retired."""

from __future__ import annotations

import datetime as dt

import pytest

from knowledge.loader import PURPOSES, default_catalog
from service.errors import ValidationFailed
from service.providers.registry import all_providers, provider_for

# The first of each month from mid-2026 to the end of 2027: past OpenAI's and Gemini 2.5's shutdowns.
DAYS = [dt.date(2026 + (m - 1) // 12, (m - 1) % 12 + 1, 1) for m in range(6, 25)]


def test_every_catalog_provider_has_its_module_with_shape_and_format() -> None:
    found = {p.name: (p.shape, p.training_format()) for p in all_providers()}
    assert found == {
        "openai": ("openai", "openai_chat"),
        "google": ("google", "gemini_contents"),
        "anthropic": ("anthropic", "anthropic_bedrock"),
        "open_weights": ("openai", "trl_messages"),
    }


@pytest.mark.parametrize(
    ("purpose", "day", "expected"),
    [
        ("tuning", dt.date(2026, 11, 24), "google"),  # OpenAI's tuning is winding down: never an undecided team's default
        ("prompting", dt.date(2026, 11, 24), "openai"),
        ("extraction", dt.date(2026, 11, 24), "openai"),
        ("tuning", dt.date(2027, 6, 1), "google"),
    ],
)
def test_undecided_is_the_catalogs_choice_for_the_purpose_and_day(purpose: str, day: dt.date, expected: str) -> None:
    assert provider_for("undecided", purpose, day).name == expected  # type: ignore[arg-type]


def test_undecided_without_a_date_is_refused_rather_than_guessed() -> None:
    with pytest.raises(ValueError, match="today"):
        provider_for("undecided", "tuning")


def test_an_unknown_provider_is_a_422_naming_the_known_ones() -> None:
    with pytest.raises(ValidationFailed) as caught:
        provider_for("mistral")
    assert caught.value.code == "unknown_provider" and caught.value.field == "provider"
    assert "open_weights" in caught.value.message and "undecided" in caught.value.message


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_no_default_is_ever_retired_or_closed_to_tuning(day: dt.date) -> None:
    for provider in all_providers():
        for purpose in PURPOSES:
            model = provider.default_model(purpose, day)
            if model is None:
                continue
            assert model.available_on(day), (provider.name, purpose, model.id)
            if purpose == "tuning":
                assert model.tunable_on(day) and provider.entry().can_fine_tune(day), (provider.name, model.id)


def test_openai_has_no_model_to_tune_from_its_cut_off() -> None:
    openai = provider_for("openai")
    assert openai.default_model("tuning", dt.date(2027, 1, 5)).id == "gpt-4.1-mini"  # type: ignore[union-attr]
    assert openai.default_model("tuning", dt.date(2027, 1, 6)) is None
    assert openai.tuning_id("gpt-4.1-mini") == "gpt-4.1-mini-2025-04-14"


def test_a_newer_model_becomes_the_default_on_its_release_day() -> None:
    google = provider_for("google")
    catalog = default_catalog()
    release = google.entry(catalog).model("gemini-3.5-flash-lite").lifecycle.released  # type: ignore[union-attr]
    assert release is not None
    assert google.default_model("tuning", release - dt.timedelta(days=1)).id == "gemini-3.5-flash"  # type: ignore[union-attr]
    assert google.default_model("tuning", release).id == "gemini-3.5-flash-lite"  # type: ignore[union-attr]
