"""Training data for fine-tuning: streaming validation, token counts and cost, format conversion."""

from service.datasets.convert import convert_file, iter_examples
from service.datasets.schemas import ConversionResult, DatasetReport, Example, Finding, TokenStats
from service.datasets.validate import validate_file

__all__ = [
    "ConversionResult",
    "DatasetReport",
    "Example",
    "Finding",
    "TokenStats",
    "convert_file",
    "iter_examples",
    "validate_file",
]
