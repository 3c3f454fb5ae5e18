"""A verdict as text a person reads (the CLI's --explain), in the verdict's language."""

from __future__ import annotations

from rules.facts import Lang, Profile
from rules.model import CostSide, Economics, Verdict
from rules.texts import strategy_name

HEADINGS: dict[str, dict[Lang, str]] = {
    "task": {"en": "Task", "he": "משימה"},
    "strategy": {"en": "Recommendation", "he": "המלצה"},
    "why": {"en": "Why", "he": "למה"},
    "outweighed": {"en": "Considered, but outweighed", "he": "נשקל, אך הוכרע"},
    "flags": {"en": "Watch out", "he": "שימו לב"},
    "tuning": {"en": "Where to tune", "he": "איפה לכוונן"},
    "steps": {"en": "Next steps", "he": "הצעדים הבאים"},
    "whatif": {"en": "What would change the answer", "he": "מה היה משנה את התשובה"},
    "assumed": {"en": "Assumed, because not answered", "he": "הנחות, כי לא נענו"},
    "economics": {"en": "Monthly cost", "he": "עלות חודשית"},
    "today": {"en": "today", "he": "היום"},
    "baseline": {"en": "same prompt on the model to tune", "he": "אותה הנחיה על המודל לכוונון"},
    "tuned": {"en": "tuned, short prompt", "he": "מכוונן, הנחיה קצרה"},
    "saving": {"en": "tuning saves", "he": "הכוונון חוסך"},
    "training": {"en": "one training run", "he": "ריצת אימון אחת"},
    "unknown": {"en": "unknown (no price)", "he": "לא ידוע (אין מחיר)"},
    "per_month": {"en": "a month", "he": "בחודש"},
    "basis": {"en": "Counted with", "he": "חושב לפי"},
}


def _h(key: str, lang: Lang) -> str:
    return HEADINGS[key][lang]


def _usd(value: float | None, lang: Lang) -> str:
    return _h("unknown", lang) if value is None else f"${value:,.2f}"


def _side(key: str, side: CostSide, lang: Lang) -> str:
    where = f"{side.provider} {side.model or ''}".strip()
    return f"  {_h(key, lang)} ({where}): {_usd(side.total_usd, lang)} {_h('per_month', lang)}"


def _economics(economics: Economics, lang: Lang) -> list[str]:
    lines = ["", f"{_h('economics', lang)}:", _side("today", economics.today, lang)]
    if economics.baseline is not None:
        lines.append(_side("baseline", economics.baseline, lang))
    lines.append(_side("tuned", economics.tuned, lang))
    lines.append(f"  {_h('saving', lang)}: {_usd(economics.monthly_saving_usd, lang)} {_h('per_month', lang)}")
    lines.append(f"  {_h('training', lang)}: {_usd(economics.training_cost_estimate_usd, lang)}")
    lines += [f"  ! {note}" for note in economics.sanity]
    lines += [f"  {_h('basis', lang)}: {note}" for note in economics.assumptions]
    return lines


def explain_verdict(profile: Profile, verdict: Verdict) -> str:
    """Strategy, reasons with guide sections, flags, where to tune, next steps, what-ifs, assumptions and economics."""
    lang = verdict.lang
    lines = [f"{_h('task', lang)}: {profile.task}", f"{_h('strategy', lang)}: {strategy_name(verdict.strategy, lang)}", ""]
    lines += [f"{_h('why', lang)}:"] + [f"  - {r.because} [§{r.guide}]" for r in verdict.reasons]
    if verdict.outweighed:
        lines += ["", f"{_h('outweighed', lang)}:"] + [f"  - {r.because} [§{r.guide}]" for r in verdict.outweighed]
    if verdict.flags:
        lines += ["", f"{_h('flags', lang)}:"] + [f"  ! {f.message}" for f in verdict.flags]
    if verdict.tuning is not None:
        lines += ["", f"{_h('tuning', lang)}: {verdict.tuning.summary}"] + [f"  - {step}" for step in verdict.tuning.steps]
    if verdict.next_steps:
        lines += ["", f"{_h('steps', lang)}:"] + [f"  {i}. {s}" for i, s in enumerate(verdict.next_steps, 1)]
    reachable = [c for c in verdict.counterfactuals if c.reachable]
    if reachable:
        lines += ["", f"{_h('whatif', lang)}:"] + [f"  - {c.summary}" for c in reachable]
    if verdict.assumptions:
        lines += ["", f"{_h('assumed', lang)}:"] + [f"  - {a.text}" for a in verdict.assumptions]
    if verdict.economics is not None:
        lines += _economics(verdict.economics, lang)
    lines += ["", f"rules {verdict.rules_version}, catalog as of {verdict.catalog_as_of}"]
    return "\n".join(lines)
