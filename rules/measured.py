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
from rules.model import NextStep, Reason, Rule, Text, Then
from rules.texts import CANDIDATE_NAMES, PHRASES, phrase

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
    step = phrase(_step(outcome, measurement), lang, best=_name(best, lang), n=best.n)
    return Reading(outcome, status, reason, step)


def _step(outcome: Outcome, measurement: Measurement) -> str:
    """What to try next: ship what works; below the target, the next lever not yet measured (few-shot, RAG, tuning)."""
    if outcome != "insufficient":
        return f"measured_step_{outcome}"
    names = {score.name for score in measurement.scores}
    if "few_shot" not in names:
        return "measured_step_try_few_shot"
    if "grounded" not in names:
        return "measured_step_try_grounded"
    if not any(name.startswith("tuned:") for name in names):
        return "measured_step_try_tuning"
    return "measured_step_insufficient"


def _text(name: str) -> Text:
    return Text(en=PHRASES[name]["en"], he=PHRASES[name]["he"])


STEPS = (
    "measured_step_works",
    "measured_step_try_few_shot",
    "measured_step_try_grounded",
    "measured_step_try_tuning",
    "measured_step_insufficient",
    "measured_step_inconclusive",
)
# The measured reason as a rule, so GET /v1/rules and docs/rules.md list it beside the rule files. It is not a
# rule file: its condition is an experiment, not a profile fact, and ``read`` above is what applies it.
RULE = Rule(
    id="measured",
    title=_text("measured_title"),
    criterion="evaluation",
    stage="signal",
    guide=GUIDE,
    when={"experiment_id": {"ne": None}},
    then=Then(next_steps=[NextStep(order=0, text=_text(name)) for name in STEPS]),
    because=Text(
        en="An advice asked with experiment_id reads the experiment's accuracies against target_accuracy "
        f"(default {DEFAULT_TARGET:.2f}): the best prompting candidate's 95% interval at or above it sets "
        "prompting_status to works; every prompting candidate's interval below it sets insufficient; an interval "
        "across it leaves the stated answer. The reason leads the verdict and its step leads the next steps.",
        he="המלצה שמבקשים עם experiment_id קוראת את הדיוק שנמדד בניסוי מול target_accuracy "
        f"(ברירת מחדל {DEFAULT_TARGET:.2f}): אם רווח הסמך 95% של מועמד ההנחיות הטוב ביותר נמצא ביעד או מעליו, "
        "prompting_status נקבע ל-works; אם רווח הסמך של כל מועמדי ההנחיות מתחת ליעד, ל-insufficient; רווח שחוצה "
        "את היעד משאיר את התשובה שנמסרה. הנימוק מופיע ראשון בהמלצה, והצעד שלו ראשון בצעדים הבאים.",
    ),
    asserts=[],
)
COMPUTED_RULES = (RULE,)
