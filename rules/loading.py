"""Load rule files and their cases from ``rules/data`` and ``rules/cases``."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.loader import parse_yaml
from rules.conditions import Predicate, compile_condition, generate_stage
from rules.derived import DERIVED_FACTS
from rules.facts import PROFILE_FIELDS
from rules.model import STAGES, Rule, RuleCases, Stage

RULES_DIR = Path(__file__).resolve().parent
DATA_DIR = RULES_DIR / "data"
CASES_DIR = RULES_DIR / "cases"

# Facts each stage adds for the stages after it.
STAGE_FACTS: dict[Stage, tuple[str, ...]] = {
    "signal": (),
    "readiness": ("prompting_score", "rag_score", "fine_tuning_score"),
    "feasibility": ("prompting_score", "rag_score", "fine_tuning_score", "fine_tuning_indicated", "rag_indicated"),
    "advice": (
        "prompting_score",
        "rag_score",
        "fine_tuning_score",
        "fine_tuning_indicated",
        "rag_indicated",
        "fine_tuning_chosen",
        "rag_chosen",
        "strategy",
    ),
}


# What each stage fact means (the generated rules doc shows it).
STAGE_FACT_MEANINGS: dict[str, str] = {
    "prompting_score": "Evidence for prompting after the signal stage (it starts at 1).",
    "rag_score": "Evidence for RAG after the signal stage.",
    "fine_tuning_score": "Evidence for fine-tuning after the signal stage.",
    "fine_tuning_indicated": "Fine-tuning evidence > 0 and no readiness rule blocked it.",
    "rag_indicated": "RAG evidence > 0 and no rule blocked it.",
    "fine_tuning_chosen": "Still indicated after feasibility: no rule blocked fine-tuning.",
    "rag_chosen": "Still indicated after feasibility: no rule blocked RAG.",
    "strategy": "The final strategy: prompting, rag, fine_tuning or rag_and_fine_tuning.",
}


# Free text is never a fact: rules decide on typed answers only (and what-ifs ignore the task).
RULE_FACTS = frozenset(PROFILE_FIELDS) - {"task"}


def known_facts(stage: Stage) -> frozenset[str]:
    """The facts a rule of ``stage`` may test."""
    return RULE_FACTS | frozenset(DERIVED_FACTS) | frozenset(STAGE_FACTS[stage])


def atoms(when: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each atomic test of a ``when`` as (fact, one-key condition); ``fired`` is not a fact."""
    for key, value in when.items():
        if key in ("all", "any"):
            for item in value:
                yield from atoms(item)
        elif key == "not":
            yield from atoms(value)
        elif key != "fired":
            for op, operand in value.items() if isinstance(value, Mapping) else [("eq", value)]:
                yield key, {key: {op: operand}}


def _fired_references(when: object) -> set[str]:
    if isinstance(when, dict):
        found = {when["fired"]} if isinstance(when.get("fired"), str) else set()
        for value in when.values():
            found |= _fired_references(value)
        return found
    if isinstance(when, list):
        return set().union(*(_fired_references(item) for item in when)) if when else set()
    return set()


@dataclass(frozen=True)
class CompiledRule:
    rule: Rule
    predicate: Predicate
    path: Path


@dataclass(frozen=True)
class RuleSet:
    rules: tuple[CompiledRule, ...]
    version: str

    @cached_property
    def staged(self) -> dict[Stage, tuple[CompiledRule, ...]]:
        """Rules grouped by stage, in run order."""
        return {stage: tuple(item for item in self.rules if item.rule.stage == stage) for stage in STAGES}

    @cached_property
    def plan(self) -> dict[Stage, tuple[tuple[CompiledRule, Predicate, str, tuple[tuple[str, int], ...], tuple[str, ...]], ...]]:
        """Per stage: (rule, predicate, id, score items, blocks), unpacked once (the engine runs ``passes``)."""
        return {
            stage: tuple(
                (item, item.predicate, item.rule.id, tuple(item.rule.then.score.items()), tuple(item.rule.then.block))
                for item in rules
            )
            for stage, rules in self.staged.items()
        }

    @cached_property
    def passes(self) -> dict[Stage, Callable[..., None]]:
        """Per stage: the plan as one generated function (``conditions.generate_stage``), for the engine's rule pass."""
        return {
            stage: generate_stage([(item.rule.when, rule_id, score, block, item) for item, _, rule_id, score, block in planned])
            for stage, planned in self.plan.items()
        }

    def get(self, rule_id: str) -> CompiledRule | None:
        return next((item for item in self.rules if item.rule.id == rule_id), None)


class RuleFileError(ValueError):
    """A rule file that cannot be loaded; the message names the file."""


def _load_yaml(path: Path) -> object:
    try:
        return parse_yaml(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise RuleFileError(f"{path}: not valid YAML: {exc}") from exc


def load_rules(data_dir: Path = DATA_DIR) -> RuleSet:
    """Load, validate and compile every ``<criterion>/<rule-id>.yaml`` under ``data_dir``."""
    compiled: list[CompiledRule] = []
    digest = hashlib.sha256()
    seen: set[str] = set()
    for path in sorted(data_dir.glob("*/*.yaml")):
        digest.update(path.relative_to(data_dir).as_posix().encode())
        digest.update(path.read_bytes())
        try:
            rule = Rule.model_validate(_load_yaml(path))
        except ValueError as exc:
            raise RuleFileError(f"{path}: {exc}") from exc
        if rule.id != path.stem:
            raise RuleFileError(f"{path}: id {rule.id!r} must match the file name")
        if rule.criterion != path.parent.name:
            raise RuleFileError(f"{path}: criterion {rule.criterion!r} must match the folder")
        if rule.id in seen:
            raise RuleFileError(f"{path}: duplicate rule id {rule.id!r}")
        seen.add(rule.id)
        try:
            predicate = compile_condition(rule.when, known_facts(rule.stage))
        except ValueError as exc:
            raise RuleFileError(f"{path}: when: {exc}") from exc
        if rule.stage == "advice" and (rule.then.score or rule.then.block):
            raise RuleFileError(f"{path}: an advice-stage rule runs after the decision; it cannot score or block")
        compiled.append(CompiledRule(rule=rule, predicate=predicate, path=path))
    compiled.sort(key=lambda item: (STAGES.index(item.rule.stage), item.rule.id))
    _check_fired_references(compiled)
    return RuleSet(rules=tuple(compiled), version=digest.hexdigest()[:12])


def _check_fired_references(compiled: list[CompiledRule]) -> None:
    """A ``fired:`` condition must name a rule of an earlier stage (or earlier in the same stage)."""
    position = {item.rule.id: index for index, item in enumerate(compiled)}
    for index, item in enumerate(compiled):
        for name in _fired_references(item.rule.when):
            if name not in position:
                raise RuleFileError(f"{item.path}: when: fired: no rule {name!r}")
            if position[name] >= index:
                raise RuleFileError(f"{item.path}: when: fired: {name!r} runs later, so it has not fired yet")


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    """The bundled rules, loaded once per process."""
    return load_rules()


def load_cases(cases_dir: Path = CASES_DIR) -> dict[str, RuleCases]:
    """Every ``<rule-id>.yaml`` of must-fire and must-not-fire profiles."""
    cases: dict[str, RuleCases] = {}
    for path in sorted(cases_dir.glob("*.yaml")):
        try:
            item = RuleCases.model_validate(_load_yaml(path))
        except ValueError as exc:
            raise RuleFileError(f"{path}: {exc}") from exc
        if item.rule != path.stem:
            raise RuleFileError(f"{path}: rule {item.rule!r} must match the file name")
        cases[item.rule] = item
    return cases
