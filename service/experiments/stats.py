"""Accuracy with its Wilson score interval, and the median of latencies. Pure functions."""

from __future__ import annotations

import math
from collections.abc import Sequence

Z95 = 1.959963984540054  # the 97.5th percentile of the standard normal: a two-sided 95% interval


def wilson(correct: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for ``correct`` successes in ``n`` trials; (0, 1) when there are none.

    Unlike the normal approximation it stays inside [0, 1] and is not empty at 0 or n successes,
    which is where small evaluation sets land.
    """
    if n <= 0:
        return 0.0, 1.0
    if not 0 <= correct <= n:
        raise ValueError(f"correct must be within 0..{n}, got {correct}")
    p = correct / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denominator
    low, high = max(0.0, centre - half), min(1.0, centre + half)
    # At 0 or n successes the exact bound is 0 or 1; floating point may miss it by an ulp.
    return (0.0 if correct == 0 else low), (1.0 if correct == n else high)


def median(values: Sequence[float]) -> float | None:
    """The middle value (mean of the two middle ones for an even count); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return float(ordered[middle])
    return (ordered[middle - 1] + ordered[middle]) / 2
