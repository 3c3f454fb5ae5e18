"""The public scenarios and the profiles experts judged, straight through the engine."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from knowledge.loader import default_catalog
from rules.engine import decide
from rules.facts import Profile
from rules.validation import ProfileError
from tests.conftest import TODAY, load_scenarios


@pytest.mark.parametrize("case", load_scenarios(), ids=lambda c: c["id"])
def test_public_scenario(case: dict[str, Any]) -> None:
    verdict = decide(Profile.model_validate(case["profile"]), default_catalog(), today=TODAY)
    assert verdict.strategy == case["expect"]["strategy"]
    assert set(case["expect"]["flags"]) <= {flag.code for flag in verdict.flags}


def _decide(today: dt.date = TODAY, **fields: Any) -> Any:
    return decide(Profile.model_validate({"task": "t", **fields}), default_catalog(), today=today)


def codes(verdict: Any) -> set[str]:
    return {flag.code for flag in verdict.flags}


def test_a_working_prompt_keeps_the_knowledge_it_carries() -> None:
    verdict = _decide(provider="openai", needs_external_knowledge=True, knowledge_change="yearly", prompting_status="works")
    assert verdict.strategy == "prompting"
    assert "knowledge-fits-in-prompt" in {r.rule for r in verdict.reasons}
    # ...until the material is too big for a prompt: then retrieval, and "prompting works" is outweighed, not a reason.
    bigger = _decide(provider="openai", needs_external_knowledge=True, knowledge_size="large", prompting_status="works")
    assert bigger.strategy == "rag"
    assert "prompting-works" in {r.rule for r in bigger.outweighed}
    assert "prompting-works" not in {r.rule for r in bigger.reasons}


def test_contract_extraction_on_a_working_prompt_is_not_tuned() -> None:
    verdict = _decide(
        provider="openai",
        model="gpt-4.1-mini",
        examples=1000,
        example_quality="high",
        strict_format=True,
        prompting_status="works",
        prompt_tokens=10000,
        requests_per_day=100000,
    )
    assert verdict.strategy == "prompting"
    # Its model shuts down within 90 days: said, with the days.
    shutting = next(f for f in verdict.flags if f.code == "model_shutting_down")
    assert "gpt-4.1-mini" in shutting.message and "51 days" in shutting.message


def test_a_policy_prompt_is_knowledge_not_behaviour() -> None:
    verdict = _decide(
        provider="google",
        examples=3000,
        example_quality="high",
        prompting_status="works",
        prompt_tokens=20000,
        requests_per_day=30000,
    )
    assert verdict.strategy == "prompting"


def test_realtime_change_without_outside_facts_is_flagged_not_indexed() -> None:
    verdict = _decide(
        provider="google", needs_external_knowledge=False, knowledge_change="realtime", prompting_status="insufficient"
    )
    assert verdict.strategy == "prompting"
    assert "answers_inconsistent" in codes(verdict)


def test_live_data_calls_for_tools() -> None:
    verdict = _decide(live_data=True, prompting_status="insufficient")
    assert verdict.strategy == "prompting"
    assert any("function calling" in step for step in verdict.next_steps)


def test_openai_tuning_moves_to_a_provider_that_lasts() -> None:
    verdict = _decide(provider="openai", examples=800, example_quality="high", narrow_task=True, prompting_status="insufficient")
    assert verdict.strategy == "fine_tuning"
    assert verdict.tuning is not None and verdict.tuning.provider == "google" and verdict.tuning.elsewhere
    ending = next(flag for flag in verdict.flags if flag.code == "provider_fine_tuning_ending")
    # 2027-01-06 (no new jobs) is 43 days after 2026-11-24.
    assert "43 days" in ending.message and "2027-01-06" in ending.message
    # After the cut-off OpenAI simply cannot tune: the strategy stands, the tuning moves.
    later = _decide(
        dt.date(2027, 1, 6),
        provider="openai",
        examples=800,
        example_quality="high",
        narrow_task=True,
        prompting_status="insufficient",
    )
    assert later.strategy == "fine_tuning" and "provider_cannot_fine_tune" in codes(later)
    assert later.tuning is not None and later.tuning.provider == "google"


def test_claude_tuning_happens_elsewhere_and_adds_up_with_retrieval() -> None:
    verdict = _decide(
        provider="anthropic",
        examples=5000,
        example_quality="high",
        custom_style=True,
        needs_external_knowledge=True,
        knowledge_change="weekly",
        prompting_status="insufficient",
    )
    assert verdict.strategy == "rag_and_fine_tuning"
    assert "provider_cannot_fine_tune" in codes(verdict)
    assert verdict.tuning is not None and verdict.tuning.elsewhere and verdict.tuning.reason == "cannot_tune"


def test_data_that_stays_in_house_is_tuned_on_open_weights() -> None:
    verdict = _decide(
        provider="openai",
        own_infrastructure=True,
        narrow_task=True,
        examples=2000,
        example_quality="high",
        prompting_status="insufficient",
    )
    assert (
        verdict.tuning is not None and verdict.tuning.provider == "open_weights" and verdict.tuning.reason == "own_infrastructure"
    )


def test_low_quality_data_blocks_tuning_with_its_own_flag() -> None:
    verdict = _decide(provider="google", examples=5000, example_quality="low", narrow_task=True, prompting_status="insufficient")
    assert verdict.strategy == "prompting"
    assert "low_quality_training_data" in codes(verdict)


def test_economics_count_caching_and_tuned_rates_on_every_token() -> None:
    verdict = _decide(
        provider="google",
        model="gemini-3.5-flash-lite",  # priced in the catalog; today's and the tuned model are the same
        prompt_tokens=10_000,
        requests_per_day=100_000,
        input_tokens=400,
        output_tokens=300,
        narrow_task=True,
        examples=1000,
        example_quality="high",
        prompting_status="insufficient",
    )
    economics = verdict.economics
    assert economics is not None and verdict.tuning is not None
    model = default_catalog().provider("google").model(economics.model)
    assert model is not None and model.price is not None and model.price.cached_input_per_mtok is not None
    price = model.price
    requests = 100_000 * 30
    # Today: 90% of requests hit the prompt cache for the 10,000-token block; input and output at the base rates.
    block = 10_000 * requests * (0.9 * price.cached_input_per_mtok + 0.1 * price.input_per_mtok) / 1e6
    today = block + 400 * requests * price.input_per_mtok / 1e6 + 300 * requests * price.output_per_mtok / 1e6
    assert economics.monthly_cost_today_usd == pytest.approx(today, abs=0.01)
    assert economics.today.cached_share == 0.9 and economics.prompt_tokens_tuned == 1000
    tuned = model.tuned_price or price  # Vertex prices a tuned Gemini at its base rates where no tuned price is listed
    expected = (1000 + 400) * requests * tuned.input_per_mtok / 1e6 + 300 * requests * tuned.output_per_mtok / 1e6
    assert economics.monthly_cost_tuned_usd == pytest.approx(expected, abs=0.01)
    assert economics.monthly_saving_usd == pytest.approx(today - expected, abs=0.02)


def test_no_examples_means_no_training_cost_and_no_payback() -> None:
    economics = _decide(provider="google", prompt_tokens=5000, requests_per_day=100_000).economics
    assert economics is not None
    assert economics.training_cost_estimate_usd is None and economics.payback_days is None


def test_a_model_of_another_provider_is_refused() -> None:
    with pytest.raises(ProfileError) as error:
        _decide(provider="openai", model="claude-sonnet-5-5")
    assert error.value.field == "model" and error.value.code == "model_of_another_provider"


def test_a_retired_model_is_flagged_with_its_replacement() -> None:
    verdict = _decide(provider="openai", model="gpt-3.5-turbo")
    retired = next(f for f in verdict.flags if f.code == "model_retired")
    assert "gpt-3.5-turbo" in retired.message


def test_unanswered_facts_are_marked_assumed_not_stated() -> None:
    verdict = _decide()
    general = next(r for r in verdict.reasons if r.rule == "general-knowledge")
    assert general.assumed and "assumes" in general.because
    answered = decide(
        Profile.model_validate(
            {
                "task": "t",
                "needs_external_knowledge": False,
                "live_data": False,
                "custom_style": False,
                "strict_format": False,
                "domain_language": False,
                "narrow_task": False,
            }
        ),
        default_catalog(),
        today=TODAY,
    )
    assert not next(r for r in answered.reasons if r.rule == "general-knowledge").assumed
    assert {a.field for a in verdict.assumptions} >= {"needs_external_knowledge", "prompting_status"}


def test_the_verdict_speaks_hebrew_when_asked() -> None:
    verdict = decide(Profile.model_validate({"task": "t", "custom_style": True}), default_catalog(), today=TODAY, lang="he")
    assert verdict.lang == "he"
    assert all(any("\u0590" <= ch <= "\u05ff" for ch in r.because) for r in verdict.reasons)
    assert all(any("\u0590" <= ch <= "\u05ff" for ch in c.summary) for c in verdict.counterfactuals)
