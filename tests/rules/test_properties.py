"""Properties over arbitrary valid profiles: explained, consistent, actionable, in the asked language."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Literal, get_args, get_origin

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.loader import default_catalog
from rules import counterfactuals
from rules import whatif as signature_search
from rules.counterfactuals import is_actionable
from rules.derived import derive_facts
from rules.engine import decide
from rules.evaluation import run_rules
from rules.explain import LEVERS
from rules.facts import Profile
from rules.loading import default_rules
from tests.conftest import TODAY

DAYS = (TODAY, dt.date(2027, 2, 1))
FIELD_NAMES = re.compile(r"\b(" + "|".join(name for name in Profile.model_fields if "_" in name) + r")\b")
HEBREW = re.compile(r"[\u0590-\u05FF]")


def _values(name: str) -> st.SearchStrategy[Any]:
    annotation = Profile.model_fields[name].annotation
    if name == "task":
        return st.text(min_size=1, max_size=30)
    if name == "model":
        return st.none()
    if get_origin(annotation) is Literal:
        return st.sampled_from(get_args(annotation))
    if annotation is bool:
        return st.booleans()
    most = min(getattr(item, "le", 10**7) for item in [*Profile.model_fields[name].metadata, None])
    return st.one_of(st.integers(0, 300), st.integers(0, 20_000), st.integers(0, most))


# Every field is either given or left out, so "assumed" defaults are exercised too.
profiles = st.builds(
    lambda chosen: Profile.model_validate(chosen),
    st.fixed_dictionaries(
        {"task": _values("task")}, optional={name: _values(name) for name in Profile.model_fields if name != "task"}
    ),
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles, st.sampled_from(DAYS))
def test_every_verdict_is_explained_and_consistent(profile: Profile, today: dt.date) -> None:
    verdict = decide(profile, default_catalog(), today=today)
    facts = derive_facts(profile.model_dump(), default_catalog(), today)
    assert verdict.reasons, "every verdict cites at least one rule"
    assert all(reason.because and reason.guide for reason in verdict.reasons)
    codes = {flag.code for flag in verdict.flags}
    tuned = verdict.strategy in ("fine_tuning", "rag_and_fine_tuning")
    if tuned:
        assert not codes & {"insufficient_training_data", "low_quality_training_data"}
        assert profile.prompting_status != "not_tried"
        assert verdict.tuning is not None
        # Where to tune is always somewhere tuning works today; Claude's tuning moves elsewhere.
        target = default_catalog().provider(verdict.tuning.provider)
        assert target.can_fine_tune(today)
        if profile.provider == "anthropic":
            assert verdict.tuning.elsewhere and "provider_cannot_fine_tune" in codes
    if facts["knowledge_needs_index"]:
        assert verdict.strategy in ("rag", "rag_and_fine_tuning")
    if profile.prompting_status == "works":
        # A working prompt is respected: no retrieval for material that fits, no tuning without a behaviour,
        # a saving counted on every token, and a provider that tunes without a move.
        if verdict.strategy in ("rag", "rag_and_fine_tuning"):
            assert facts["knowledge_needs_index"]
        if tuned:
            assert facts["behaviour_signals"] > 0 or (profile.latency_sensitive and profile.prompt_tokens >= 2000)
            assert facts["monthly_saving_usd"] >= 500 and not facts["tuning_elsewhere"]
    assert {c.strategy for c in verdict.counterfactuals} == {"prompting", "rag", "fine_tuning", "rag_and_fine_tuning"} - {
        verdict.strategy
    }


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles)
def test_no_reason_argues_against_the_verdict(profile: Profile) -> None:
    verdict = decide(profile, default_catalog(), today=TODAY, with_counterfactuals=False)
    rules = {item.rule.id: item.rule for item in default_rules().rules}
    levers = LEVERS[verdict.strategy]
    for reason in verdict.reasons:
        rule = rules[reason.rule]
        # Nothing it argues against is chosen, and what it argues for (if anything) is.
        assert not rule.argues_against & levers, (reason.rule, verdict.strategy)
        assert not rule.supports or rule.supports & levers, (reason.rule, verdict.strategy)
    for reason in verdict.outweighed:
        rule = rules[reason.rule]
        assert rule.argues_against & levers or (rule.supports and not rule.supports & levers)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles)
def test_counterfactuals_are_true_and_actionable(profile: Profile) -> None:
    verdict = decide(profile, default_catalog(), today=TODAY)
    efforts = [c.effort for c in verdict.counterfactuals if c.reachable]
    assert efforts == sorted(efforts), "least effort first"
    for whatif in verdict.counterfactuals:
        if not whatif.reachable:
            assert not whatif.changes
            continue
        assert 1 <= len(whatif.changes) <= 2
        for change in whatif.changes:
            assert is_actionable(change.field, change.from_value, change.to_value), change
            assert change.label and not FIELD_NAMES.search(change.label)
        changed: dict[str, Any] = {change.field: change.to_value for change in whatif.changes}
        moved = profile.model_copy(update=changed)
        assert decide(moved, default_catalog(), today=TODAY, with_counterfactuals=False).strategy == whatif.strategy
        if "provider" in changed and whatif.strategy in ("fine_tuning", "rag_and_fine_tuning"):
            assert derive_facts(moved.model_dump(), default_catalog(), TODAY)["provider_can_fine_tune"]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles)
def test_people_read_words_not_field_names_in_their_language(profile: Profile) -> None:
    for lang in ("en", "he"):
        verdict = decide(profile, default_catalog(), today=TODAY, lang=lang)
        texts = [r.title + " " + r.because for r in verdict.reasons + verdict.outweighed]
        texts += [f.message for f in verdict.flags] + verdict.next_steps
        texts += [c.summary for c in verdict.counterfactuals] + [a.text for a in verdict.assumptions]
        texts += [verdict.tuning.summary, *verdict.tuning.steps] if verdict.tuning else []
        for text in texts:
            assert "{" not in text and "}" not in text, text
            assert not FIELD_NAMES.search(text), text
            if lang == "he":
                assert HEBREW.search(text), text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profiles, st.sampled_from(DAYS))
def test_the_signature_search_finds_what_rerunning_the_rules_finds(profile: Profile, today: dt.date) -> None:
    """rules/whatif.py must give exactly the plain search's what-ifs (rules/counterfactuals.py re-runs every change)."""
    values = profile.model_dump()
    catalog, rules = default_catalog(), default_rules()
    run = run_rules(values, catalog, rules, today)

    def allowed(_changed: dict[str, Any], _outcome: str) -> bool:
        return True

    plain = counterfactuals.search(values, run.strategy, lambda v: run_rules(v, catalog, rules, today).strategy, allowed, "en")
    fast = signature_search.search(values, run.facts, run.strategy, catalog, today, rules, allowed, "en")
    assert [(c.strategy, c.changes) for c in fast] == [(c.strategy, c.changes) for c in plain]
