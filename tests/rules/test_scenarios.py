"""The public scenarios: strategy and flags, straight through the engine."""

from __future__ import annotations

from typing import Any

import pytest

from knowledge.loader import default_catalog
from rules.engine import decide
from rules.facts import Profile
from tests.conftest import TODAY, load_scenarios


@pytest.mark.parametrize("case", load_scenarios(), ids=lambda c: c["id"])
def test_public_scenario(case: dict[str, Any]) -> None:
    verdict = decide(Profile.model_validate(case["profile"]), default_catalog(), today=TODAY)
    assert verdict.strategy == case["expect"]["strategy"]
    assert set(case["expect"]["flags"]) <= {flag.code for flag in verdict.flags}


def _profile(**changes: Any) -> Profile:
    return Profile.model_validate({"task": "t", **changes})


def test_openai_tuning_names_deadline_and_alternative() -> None:
    profile = _profile(provider="openai", examples=800, example_quality="high", narrow_task=True, prompting_status="insufficient")
    verdict = decide(profile, default_catalog(), today=TODAY)
    assert verdict.strategy == "fine_tuning"
    ending = next(flag for flag in verdict.flags if flag.code == "provider_fine_tuning_ending")
    assert "2027-01-06" in ending.message
    assert "Vertex" in ending.message or "open-weights" in ending.message


def test_openai_after_cutoff_cannot_fine_tune() -> None:
    import datetime as dt

    profile = _profile(provider="openai", examples=800, example_quality="high", narrow_task=True, prompting_status="insufficient")
    verdict = decide(profile, default_catalog(), today=dt.date(2027, 1, 6))
    assert verdict.strategy == "prompting"
    assert "provider_cannot_fine_tune" in {flag.code for flag in verdict.flags}


def test_anthropic_with_fresh_knowledge_gets_rag_not_tuning() -> None:
    profile = _profile(
        provider="anthropic",
        examples=5000,
        example_quality="high",
        custom_style=True,
        needs_external_knowledge=True,
        knowledge_change="weekly",
        prompting_status="insufficient",
    )
    verdict = decide(profile, default_catalog(), today=TODAY)
    assert verdict.strategy == "rag"
    assert "provider_cannot_fine_tune" in {flag.code for flag in verdict.flags}


def test_undecided_provider_tuning_points_away_from_openai() -> None:
    profile = _profile(examples=500, example_quality="high", strict_format=True, prompting_status="insufficient")
    verdict = decide(profile, default_catalog(), today=TODAY)
    assert verdict.strategy == "fine_tuning"
    assert any("Vertex" in step for step in verdict.next_steps)


def test_low_quality_data_blocks_tuning_with_its_own_flag() -> None:
    profile = _profile(provider="google", examples=5000, example_quality="low", narrow_task=True, prompting_status="insufficient")
    verdict = decide(profile, default_catalog(), today=TODAY)
    assert verdict.strategy == "prompting"
    assert [flag.code for flag in verdict.flags] == ["low_quality_training_data"]


def test_economics_compares_long_prompt_with_tuned_prompt() -> None:
    profile = _profile(
        provider="openai",
        prompt_tokens=5000,
        requests_per_day=1_000_000,
        examples=1000,
        example_quality="high",
        prompting_status="works",
    )
    economics = decide(profile, default_catalog(), today=TODAY).economics
    assert economics is not None
    # 5,000 tokens × 30M requests at gpt-4.1-mini's $0.40/M vs 500 tokens at the tuned $0.80/M.
    assert economics.monthly_prompt_tokens_today == 150_000_000_000
    assert economics.monthly_cost_today_usd == pytest.approx(60_000.0)
    assert economics.monthly_cost_tuned_usd == pytest.approx(12_000.0)
    assert economics.monthly_saving_usd == pytest.approx(48_000.0)


def test_small_prompts_get_no_economics() -> None:
    assert decide(_profile(), default_catalog(), today=TODAY).economics is None


def test_a_big_prompt_on_claude_wants_tuning_it_cannot_have() -> None:
    profile = _profile(
        provider="anthropic",
        prompt_tokens=6000,
        requests_per_day=500_000,
        examples=2000,
        example_quality="high",
        prompting_status="works",
    )
    verdict = decide(profile, default_catalog(), today=TODAY)
    assert verdict.strategy == "prompting"
    assert "provider_cannot_fine_tune" in {flag.code for flag in verdict.flags}


def test_a_big_prompt_on_open_weights_pays_for_tuning() -> None:
    profile = _profile(
        provider="open_weights",
        prompt_tokens=6000,
        requests_per_day=500_000,
        examples=2000,
        example_quality="high",
        prompting_status="works",
    )
    assert decide(profile, default_catalog(), today=TODAY).strategy == "fine_tuning"
