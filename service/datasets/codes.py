"""Finding codes: every code is an error except the few that only lower quality or need a look."""

from __future__ import annotations

from service.datasets.schemas import Severity

WARNINGS = frozenset(
    {
        "blank_line",
        "few_examples_for_quality",
        "personal_data",
        "short_answer",
        "cannot_fine_tune",
        "fine_tuning_ending",
        "unknown_model",
        "format_needs_conversion",
        "json_array",
        "no_user_turn",
        "tools_not_listed",
        "lossy_conversion",
    }
)


def severity(code: str) -> Severity:
    return "warning" if code in WARNINGS else "error"
