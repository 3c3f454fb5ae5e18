"""A verdict as text a person reads (the CLI's --explain)."""

from __future__ import annotations

from rules.facts import Profile
from rules.model import Verdict


def explain_verdict(profile: Profile, verdict: Verdict) -> str:
    """Strategy, reasons with guide sections, flags, next steps, what-ifs and economics."""
    lines = [f"Task: {profile.task}", f"Strategy: {verdict.strategy}", "", "Why:"]
    lines += [f"  - {r.because} [{r.rule}; guide §{r.guide}]" for r in verdict.reasons]
    if verdict.flags:
        lines += ["", "Flags:"] + [f"  ! {f.code}: {f.message}" for f in verdict.flags]
    if verdict.next_steps:
        lines += ["", "Next steps:"] + [f"  {i}. {s}" for i, s in enumerate(verdict.next_steps, 1)]
    reachable = [c for c in verdict.counterfactuals if c.reachable]
    if reachable:
        lines += ["", "What would change the answer:"] + [f"  - {c.summary}" for c in reachable]
    if verdict.economics is not None:
        e = verdict.economics
        lines += [
            "",
            f"Economics ({e.provider} {e.model}, prices as of {e.prices_as_of}):",
            f"  today: {e.monthly_prompt_tokens_today:,} prompt tokens/month, ${e.monthly_cost_today_usd}",
            f"  tuned: {e.monthly_prompt_tokens_tuned:,} prompt tokens/month, ${e.monthly_cost_tuned_usd}",
            f"  saving: ${e.monthly_saving_usd}/month; training ≈ ${e.training_cost_estimate_usd}",
        ]
    lines += ["", f"rules {verdict.rules_version}, catalog as of {verdict.catalog_as_of}"]
    return "\n".join(lines)
