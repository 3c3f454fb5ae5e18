"""Properties over arbitrary valid profiles."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.loader import default_catalog
from rules.engine import decide
from rules.facts import Profile
from tests.conftest import TODAY

profiles = st.builds(
    Profile,
    task=st.text(min_size=1, max_size=50),
    provider=st.sampled_from(["openai", "google", "anthropic", "open_weights", "undecided"]),
    examples=st.integers(min_value=0, max_value=100_000),
    example_quality=st.sampled_from(["high", "mixed", "low", "unknown"]),
    needs_external_knowledge=st.booleans(),
    knowledge_change=st.sampled_from(["static", "yearly", "monthly", "weekly", "daily", "realtime"]),
    strict_format=st.booleans(),
    custom_style=st.booleans(),
    domain_language=st.booleans(),
    narrow_task=st.booleans(),
    personalization=st.booleans(),
    prompting_status=st.sampled_from(["not_tried", "works", "insufficient"]),
    prompt_tokens=st.integers(min_value=0, max_value=50_000),
    requests_per_day=st.integers(min_value=0, max_value=10_000_000),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles)
def test_every_profile_gets_an_explained_verdict(profile: Profile) -> None:
    verdict = decide(profile, default_catalog(), today=TODAY)
    assert verdict.reasons, "every verdict cites at least one rule"
    assert all(reason.because and reason.guide for reason in verdict.reasons)
    codes = {flag.code for flag in verdict.flags}
    tuned = verdict.strategy in ("fine_tuning", "rag_and_fine_tuning")
    if tuned:
        assert not codes & {"insufficient_training_data", "low_quality_training_data", "provider_cannot_fine_tune"}
        assert profile.provider != "anthropic"
        assert profile.prompting_status != "not_tried"
    if profile.needs_external_knowledge:
        assert verdict.strategy in ("rag", "rag_and_fine_tuning")
    assert {c.strategy for c in verdict.counterfactuals} == {"prompting", "rag", "fine_tuning", "rag_and_fine_tuning"} - {
        verdict.strategy
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles)
def test_counterfactuals_are_true(profile: Profile) -> None:
    verdict = decide(profile, default_catalog(), today=TODAY)
    for whatif in verdict.counterfactuals:
        if not whatif.reachable:
            continue
        assert 1 <= len(whatif.changes) <= 2
        changed: dict[str, Any] = {change.field: change.to_value for change in whatif.changes}
        moved = profile.model_copy(update=changed)
        assert decide(moved, default_catalog(), today=TODAY, with_counterfactuals=False).strategy == whatif.strategy
