"""Precision and recall of the rule extractor over the labelled descriptions.

Run: ``.venv/bin/python -m tests.service.intake.measure`` (add ``-v`` to list every disagreement).
A field counts as right when its value equals the label; a wrong value is both a false positive
and a false negative. ``task`` is left out: it is always the first sentence.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import Any

from service.intake import extract_rules
from tests.service.intake.cases import DEV_EN, DEV_HE, HELDOUT2_EN, HELDOUT2_HE, HELDOUT_EN, HELDOUT_HE, Case


@dataclass
class Score:
    true_positives: int = 0
    false_positives: int = 0
    false_negatives: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float:
        found = self.true_positives + self.false_positives
        return self.true_positives / found if found else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0


def score(cases: list[Case]) -> Score:
    result = Score()
    for text, expected in cases:
        found: dict[str, Any] = {k: v for k, v in extract_rules(text).profile.items() if k != "task"}
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


def main(verbose: bool) -> None:
    sets = {
        "dev en": DEV_EN,
        "dev he": DEV_HE,
        "heldout en": HELDOUT_EN,
        "heldout he": HELDOUT_HE,
        "heldout2 en": HELDOUT2_EN,
        "heldout2 he": HELDOUT2_HE,
    }
    for name, cases in sets.items():
        measured = score(cases)
        print(
            f"{name:12} cases={len(cases):2} tp={measured.true_positives:3} fp={measured.false_positives:2} "
            f"fn={measured.false_negatives:2} precision={measured.precision:.2f} recall={measured.recall:.2f}"
        )
        if verbose:
            for error in measured.errors:
                print("   ", error)


if __name__ == "__main__":
    main("-v" in sys.argv)
