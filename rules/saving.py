"""Tuning's monthly saving as a function of the traffic, for one tuning target: what the what-if search prices.

``saving_models(...)[0](requests_per_day, prompt_tokens, input_tokens, output_tokens)`` is
``monthly_saving(cost_baseline(...), cost_tuned(...))`` of rules/economics.py, operation for operation, with the
rates looked up once and no Cost built (tests/rules/test_economics.py checks the floats bit for bit).
"""

from __future__ import annotations

from collections.abc import Callable

from knowledge.loader import Catalog
from rules.economics import (
    CACHE_HIT_SHARE,
    CACHE_MIN_TOKENS,
    DAYS_PER_MONTH,
    Rates,
    Traffic,
    gpu_total,
    rates_of,
    tuned_model,
    tuned_prompt_tokens,
)

Saving = Callable[[int, int, int, int], "float | None"]
"""(requests_per_day, prompt_tokens, input_tokens, output_tokens) -> monthly saving, or None when unpriced."""
Scale = Callable[[int, int, int, int], float]
"""The same traffic -> the two sides' monthly costs added up: what the saving's float rounding is relative to."""


def saving_models(catalog: Catalog, provider: str, model: str | None) -> tuple[Saving, Scale]:
    """``monthly_saving(cost_baseline(...), cost_tuned(...))`` for one tuning target as a function of the traffic, and
    its scale (both sides' monthly costs, bounded above; 0 when unpriced), the rates looked up once for both.

    The what-if search prices a tuning target for dozens of traffic variations per profile, so the saving is the same
    arithmetic as ``_api_parts`` / ``gpu_total``, operation for operation (the float results are identical, which
    tests/rules/test_economics.py checks bit for bit), with no Cost built. Its error is a few units in the last place of
    the scale (~1e-15 of it), however small the difference: rules/whatif_traffic.py keeps margins far above that.
    """
    entry = tuned_model(catalog, provider, model)
    if entry is None:
        return _unpriced, _no_scale
    if provider == "open_weights":
        if entry.gpu_price is None:
            return _unpriced, _no_scale
        return _gpu_saving(entry.gpu_price.usd_per_gpu_hour), _gpu_scale(entry.gpu_price.usd_per_gpu_hour)
    base = rates_of(entry, tuned=False)
    at_base_rate = entry.tuned_price is None and provider == "google" and entry.price is not None
    tuned = base if at_base_rate else rates_of(entry, tuned=True)
    if base is None or tuned is None:
        return _unpriced, _no_scale
    return _api_saving(base, tuned), _api_scale(base, tuned)


def _api_scale(base: Rates, tuned: Rates) -> Scale:
    top = max(base.input, base.output, base.cached or 0.0, tuned.input, tuned.output, tuned.cached or 0.0)

    def scale(requests_per_day: int, prompt_tokens: int, input_tokens: int, output_tokens: int) -> float:
        # An upper bound of both sides: every token of both at the highest rate either has.
        tokens = prompt_tokens + tuned_prompt_tokens(prompt_tokens) + 2 * (input_tokens + output_tokens)
        return tokens * requests_per_day * DAYS_PER_MONTH * top / 1_000_000

    return scale


def _gpu_scale(usd_per_gpu_hour: float) -> Scale:
    def scale(requests_per_day: int, prompt_tokens: int, input_tokens: int, output_tokens: int) -> float:
        traffic = Traffic(requests_per_day, prompt_tokens, input_tokens, output_tokens)
        block = tuned_prompt_tokens(prompt_tokens)
        return gpu_total(usd_per_gpu_hour, traffic, prompt_tokens) + gpu_total(usd_per_gpu_hour, traffic, block)

    return scale


def _no_scale(requests_per_day: int, prompt_tokens: int, input_tokens: int, output_tokens: int) -> float:
    return 0.0


def _block_rates(rates: Rates) -> tuple[float, float]:
    """The block's rate below and from the cache minimum, computed as ``_api_parts`` does."""
    below = 0.0 * (rates.cached or 0.0) + (1 - 0.0) * rates.input
    if rates.cached is None:
        return below, below
    return below, CACHE_HIT_SHARE * (rates.cached or 0.0) + (1 - CACHE_HIT_SHARE) * rates.input


def _api_saving(base: Rates, tuned: Rates) -> Saving:
    base_below, base_cached = _block_rates(base)
    tuned_below, tuned_cached = _block_rates(tuned)
    million = 1_000_000

    def saving(requests_per_day: int, prompt_tokens: int, input_tokens: int, output_tokens: int) -> float | None:
        requests = requests_per_day * DAYS_PER_MONTH
        block = tuned_prompt_tokens(prompt_tokens)
        rate = base_cached if prompt_tokens >= CACHE_MIN_TOKENS else base_below
        today = (
            prompt_tokens * requests * rate / million
            + input_tokens * requests * base.input / million
            + output_tokens * requests * base.output / million
        )
        rate = tuned_cached if block >= CACHE_MIN_TOKENS else tuned_below
        after = (
            block * requests * rate / million
            + input_tokens * requests * tuned.input / million
            + output_tokens * requests * tuned.output / million
        )
        return today - after

    return saving


def _gpu_saving(usd_per_gpu_hour: float) -> Saving:
    def saving(requests_per_day: int, prompt_tokens: int, input_tokens: int, output_tokens: int) -> float | None:
        traffic = Traffic(requests_per_day, prompt_tokens, input_tokens, output_tokens)
        block = tuned_prompt_tokens(prompt_tokens)
        return gpu_total(usd_per_gpu_hour, traffic, prompt_tokens) - gpu_total(usd_per_gpu_hour, traffic, block)

    return saving


def _unpriced(requests_per_day: int, prompt_tokens: int, input_tokens: int, output_tokens: int) -> float | None:
    return None
