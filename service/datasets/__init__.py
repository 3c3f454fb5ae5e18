"""Training data for fine-tuning: streaming validation, token counts and cost, format conversion."""

from service.datasets.convert import convert_file, iter_examples
from service.datasets.schemas import ConversionResult, DatasetReport, Example, Finding, TokenStats
from service.datasets.validate import epochs_for, validate_file

__all__ = [
    "ConversionResult",
    "DatasetReport",
    "Example",
    "Finding",
    "TokenStats",
    "convert_file",
    "epochs_for",
    "iter_examples",
    "validate_file",
]
