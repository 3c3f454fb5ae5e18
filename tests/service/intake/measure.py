"""Precision and recall of the rule extractor over the labelled descriptions, and how often it finds the task.

Run: ``.venv/bin/python -m tests.service.intake.measure`` (add ``-v`` to list every disagreement).
A field counts as right when its value equals the label; a wrong value is both a false positive and a
false negative. Each set is scored on the fields its labels cover: sets written before the Profile gained
its deployment fields (knowledge_size, live_data, ...) are not scored on those, and the set written for
those fields is scored on them alone. ``task`` is scored apart (``task_right``): the found words and the
labelled ones are compared as word sets, since "answer X" and "answer X." say the same.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from service.intake import extract_rules
from tests.service.intake.cases import (
    DEV2_EN,
    DEV2_HE,
    DEV_EN,
    DEV_HE,
    HELDOUT2_EN,
    HELDOUT2_HE,
    HELDOUT_EN,
    HELDOUT_HE,
    Case,
)
from tests.service.intake.heldout import HELDOUT3_EN, HELDOUT3_HE
from tests.service.intake.heldout_new_fields import HELDOUT_NEW_EN, HELDOUT_NEW_HE

NEW_FIELDS = frozenset(
    {
        "knowledge_size",
        "live_data",
        "latency_sensitive",
        "own_infrastructure",
        "has_eval_set",
        "input_tokens",
        "output_tokens",
        "openai_can_tune",
    }
)
FIELDS_BEFORE_RESHAPE = frozenset(
    {
        "provider",
        "model",
        "examples",
        "example_quality",
        "needs_external_knowledge",
        "knowledge_change",
        "strict_format",
        "custom_style",
        "domain_language",
        "narrow_task",
        "personalization",
        "prompting_status",
        "prompt_tokens",
        "requests_per_day",
    }
)
TASK_OVERLAP = 0.8  # word-set F1 at which found and labelled task words say the same


@dataclass
class Score:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    tasks_right: int = 0
    tasks_labelled: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0

    @property
    def task_accuracy(self) -> float:
        return self.tasks_right / self.tasks_labelled if self.tasks_labelled else 1.0


def _words(text: str) -> set[str]:
    return set(re.findall(r"[\w'-]+", text.casefold()))


def task_right(found: str | None, label: str) -> bool:
    """The found task says what the label says: word-set F1 of at least ``TASK_OVERLAP``."""
    got, want = _words(found or ""), _words(label)
    common = len(got & want)
    if not common:
        return False
    precision, recall = common / len(got), common / len(want)
    return 2 * precision * recall / (precision + recall) >= TASK_OVERLAP


def score(cases: Iterable[Case], fields: frozenset[str] = FIELDS_BEFORE_RESHAPE | NEW_FIELDS) -> Score:
    result = Score()
    for text, label in cases:
        profile = extract_rules(text).profile
        found: dict[str, Any] = {k: v for k, v in profile.items() if k in fields}
        expected = {k: v for k, v in label.items() if k in fields}
        if "task" in label:
            result.tasks_labelled += 1
            if task_right(profile.get("task"), label["task"]):
                result.tasks_right += 1
            else:
                result.errors.append(f"task: found {profile.get('task')!r}, label {label['task']!r}")
        for name in sorted(set(found) | set(expected)):
            if name in found and name in expected and found[name] == expected[name]:
                result.true_positives += 1
                continue
            if name in found:
                result.false_positives += 1
            if name in expected:
                result.false_negatives += 1
            result.errors.append(f"{name}: found {found.get(name, '-')!r}, label {expected.get(name, '-')!r} in {text[:60]!r}")
    return result


# name: (cases, the fields their labels cover)
SETS: dict[str, tuple[list[Case], frozenset[str]]] = {
    "dev en": (DEV_EN, FIELDS_BEFORE_RESHAPE | NEW_FIELDS),
    "dev he": (DEV_HE, FIELDS_BEFORE_RESHAPE | NEW_FIELDS),
    "dev2 en": (DEV2_EN, FIELDS_BEFORE_RESHAPE | NEW_FIELDS),
    "dev2 he": (DEV2_HE, FIELDS_BEFORE_RESHAPE | NEW_FIELDS),
    "heldout en": (HELDOUT_EN, FIELDS_BEFORE_RESHAPE),
    "heldout he": (HELDOUT_HE, FIELDS_BEFORE_RESHAPE),
    "heldout2 en": (HELDOUT2_EN, FIELDS_BEFORE_RESHAPE),
    "heldout2 he": (HELDOUT2_HE, FIELDS_BEFORE_RESHAPE),
    "heldout3 en": (HELDOUT3_EN, FIELDS_BEFORE_RESHAPE),
    "heldout3 he": (HELDOUT3_HE, FIELDS_BEFORE_RESHAPE),
    "new-fields en": (HELDOUT_NEW_EN, NEW_FIELDS),
    "new-fields he": (HELDOUT_NEW_HE, NEW_FIELDS),
}


def main(verbose: bool, only: str | None = None) -> None:
    for name, (cases, fields) in SETS.items():
        if only and not name.startswith(only):
            continue
        measured = score(cases, fields)
        tasks = f" task={measured.tasks_right}/{measured.tasks_labelled}" if measured.tasks_labelled else ""
        print(
            f"{name:14} cases={len(cases):2} tp={measured.true_positives:3} fp={measured.false_positives:2} "
            f"fn={measured.false_negatives:2} precision={measured.precision:.2f} recall={measured.recall:.2f}{tasks}"
        )
        if verbose:
            for error in measured.errors:
                print("   ", error)


if __name__ == "__main__":
    arguments = [a for a in sys.argv[1:] if a != "-v"]
    main("-v" in sys.argv, arguments[0] if arguments else None)
