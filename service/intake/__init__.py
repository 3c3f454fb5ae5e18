"""Free-text intake: a description in English or Hebrew -> a draft profile, its evidence, and the questions left."""

from service.intake.extract import check_text, detect_lang, extract, extract_rules
from service.intake.schemas import Evidence, IntakeResult

__all__ = ["Evidence", "IntakeResult", "check_text", "detect_lang", "extract", "extract_rules"]
