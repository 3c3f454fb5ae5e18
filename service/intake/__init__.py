"""Free-text intake: a description in English or Hebrew -> a draft profile, its evidence, and the questions left.

The rules compile a few hundred patterns when first imported (~0.3 s), so the functions below load with the
first description, not with the API; ``from service.intake import extract`` works as it always did.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from service.intake.schemas import Evidence, IntakeResult

if TYPE_CHECKING:
    from service.intake.drafting import check_text, detect_lang, extract, extract_rules

__all__ = ["Evidence", "IntakeResult", "check_text", "detect_lang", "extract", "extract_rules"]
_LAZY = ("check_text", "detect_lang", "extract", "extract_rules")


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'service.intake' has no attribute {name!r}")
    drafting = importlib.import_module("service.intake.drafting")
    globals().update({lazy: getattr(drafting, lazy) for lazy in _LAZY})
    return globals()[name]
