"""What a measured experiment says about prompting: pure, no I/O (the service measures, this decides).

The answer "does prompting work?" becomes a measurement against a target accuracy: the best prompting
candidate (zero-shot or few-shot) works when the lower end of its 95% interval reaches the target, and
prompting falls short when even the upper end of every prompting candidate stays below it. Anything in
between is inconclusive and leaves the stated answer alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rules.facts import Lang, PromptingStatus
from rules.model import Reason
from rules.texts import CANDIDATE_NAMES, phrase

DEFAULT_TARGET = 0.8
PROMPTING = ("few_shot", "zero_shot")
GUIDE = "s6-evaluation"
Outcome = Literal["works", "insufficient", "inconclusive"]


@dataclass(frozen=True)
class Score:
    name: str
    n: int
    accuracy: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class Measurement:
    """Each candidate's accuracy on one evaluation set, with its 95% interval."""

    experiment_id: str
    scores: tuple[Score, ...]


@dataclass(frozen=True)
class Reading:
    outcome: Outcome
    status: PromptingStatus | None  # what prompting_status becomes; None leaves the stated one
    reason: Reason
    next_step: str


def _name(score: Score, lang: Lang) -> str:
    return CANDIDATE_NAMES.get(score.name, {}).get(lang, score.name.removeprefix("tuned:"))


def _shown(score: Score, lang: Lang, with_interval: bool) -> str:
    interval = f" [{score.ci_low:.2f}, {score.ci_high:.2f}]" if with_interval else ""
    return f"{_name(score, lang)} {score.accuracy:.2f}{interval}"


def read(measurement: Measurement, target: float | None, lang: Lang) -> Reading | None:
    """The measurement's verdict on prompting, or None when no prompting candidate was scored."""
    prompting = sorted(
        (s for s in measurement.scores if s.name in PROMPTING), key=lambda s: (-s.ci_low, -s.accuracy, PROMPTING.index(s.name))
    )
    if not prompting:
        return None
    goal = DEFAULT_TARGET if target is None else target
    best = prompting[0]
    others = [s for s in measurement.scores if s is not best]
    outcome: Outcome
    status: PromptingStatus | None
    if best.ci_low >= goal:
        outcome, status = "works", "works"
    elif all(s.ci_high < goal for s in prompting):
        outcome, status = "insufficient", "insufficient"
    else:
        outcome, status = "inconclusive", None
    scores = phrase("measured_versus", lang).join([_shown(best, lang, True)] + [_shown(s, lang, False) for s in others])
    default = phrase("measured_default", lang) if target is None else ""
    because = " ".join(
        [
            phrase("measured_measured", lang, scores=scores) + ".",
            phrase("measured_target", lang, target=goal, default=default),
            phrase(f"measured_{outcome}", lang, best=_name(best, lang)),
        ]
    )
    reason = Reason(rule="measured", title=phrase("measured_title", lang), because=because, guide=GUIDE, stage="signal")
    step = phrase(f"measured_step_{outcome}", lang, best=_name(best, lang), n=best.n)
    return Reading(outcome, status, reason, step)
