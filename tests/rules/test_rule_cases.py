"""Every rule fires on its must-fire profiles and stays silent on its must-not-fire ones."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from knowledge.loader import default_catalog
from rules.engine import decide
from rules.facts import Profile
from rules.loading import default_rules, load_cases

CASES = load_cases()
TODAY = dt.date(2026, 11, 24)


def _fired(partial: dict[str, Any]) -> set[str]:
    profile = Profile.model_validate({"task": "rule case", **partial})
    verdict = decide(profile, default_catalog(), today=TODAY, with_counterfactuals=False)
    return {reason.rule for reason in (*verdict.reasons, *verdict.outweighed)}


def test_every_rule_has_cases() -> None:
    missing = [item.rule.id for item in default_rules().rules if item.rule.id not in CASES]
    assert missing == []


def test_no_cases_for_unknown_rules() -> None:
    ids = {item.rule.id for item in default_rules().rules}
    assert sorted(set(CASES) - ids) == []


@pytest.mark.parametrize(
    ("rule_id", "partial"),
    [(rule_id, case) for rule_id, cases in CASES.items() for case in cases.must_fire],
)
def test_rule_fires(rule_id: str, partial: dict[str, Any]) -> None:
    assert rule_id in _fired(partial)


@pytest.mark.parametrize(
    ("rule_id", "partial"),
    [(rule_id, case) for rule_id, cases in CASES.items() for case in cases.must_not_fire],
)
def test_rule_does_not_fire(rule_id: str, partial: dict[str, Any]) -> None:
    assert rule_id not in _fired(partial)
