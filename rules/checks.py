"""`advisor rules check`: every rule loads, cites a real guide section, and passes its cases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from knowledge.loader import GUIDE_LANGS, default_catalog, load_guide
from rules.engine import decide
from rules.facts import Profile
from rules.loading import RuleSet, load_cases, load_rules
from rules.measured import COMPUTED_RULES

CASE_DAY = dt.date(2026, 11, 24)


def _fires(rules: RuleSet, rule_id: str, partial: dict[str, Any]) -> bool:
    profile = Profile.model_validate({"task": "rule case", **partial})
    verdict = decide(profile, default_catalog(), ruleset=rules, today=CASE_DAY, with_counterfactuals=False)
    return any(reason.rule == rule_id for reason in (*verdict.reasons, *verdict.outweighed))


def check_rules() -> tuple[int, list[str]]:
    """(number of rules, problems found); an empty list means all is well."""
    try:
        rules = load_rules()
        cases = load_cases()
    except ValueError as exc:
        return 0, [str(exc)]
    problems: list[str] = []
    guides = {lang: load_guide(lang).sections for lang in GUIDE_LANGS}
    for item in rules.rules:
        rule = item.rule
        for lang, sections in guides.items():
            if rule.guide not in sections:
                problems.append(f"{item.path}: guide section {rule.guide!r} is not in knowledge/guide/{lang}.md")
        rule_cases = cases.get(rule.id)
        if rule_cases is None:
            problems.append(f"{item.path}: no rules/cases/{rule.id}.yaml")
            continue
        for index, partial in enumerate(rule_cases.must_fire):
            if not _fires(rules, rule.id, partial):
                problems.append(f"rules/cases/{rule.id}.yaml: must_fire[{index}] did not fire: {partial}")
        for index, partial in enumerate(rule_cases.must_not_fire):
            if _fires(rules, rule.id, partial):
                problems.append(f"rules/cases/{rule.id}.yaml: must_not_fire[{index}] fired: {partial}")
    for computed in COMPUTED_RULES:  # no cases: their condition is an experiment (tests/service/experiments)
        problems += [
            f"rules/measured.py: guide section {computed.guide!r} is not in knowledge/guide/{lang}.md"
            for lang, sections in guides.items()
            if computed.guide not in sections
        ]
        if rules.get(computed.id) is not None:
            problems.append(f"rules/measured.py: the id {computed.id!r} is also a rule file's")
    known = {item.rule.id for item in rules.rules}
    problems += [f"rules/cases/{name}.yaml: no rule with that id" for name in sorted(set(cases) - known)]
    return len(rules.rules), problems
