"""What the traffic costs a month today, against a tuned model with a shorter prompt, counted honestly.

Today: the instruction block at the model's input price, or at its cached-input price for the share of
requests that hit the provider's prompt cache (a block of at least ``CACHE_MIN_TOKENS`` on a provider that
caches), plus the user's input and the output at the base rates. Tuned: a short block plus the same input
and output, all at the tuned model's rates (a tuned model's higher rate applies to every token, not only to
the block). Self-hosted open weights are priced by GPU-hours. Anything the catalog does not price is None,
never zero, and every figure assumed rather than given is listed.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field

from knowledge.loader import Catalog, ModelEntry
from rules.bounded import Bounded

DAYS_PER_MONTH = 30
HOURS_PER_MONTH = 730
# A tuned model still needs a short instruction; we assume it keeps a tenth of today's block.
TUNED_PROMPT_FRACTION = 0.1
TUNED_PROMPT_FLOOR = 50
# Providers cache a prompt prefix from about 1,024 tokens (OpenAI, Gemini, Claude); we assume most requests hit it.
CACHE_MIN_TOKENS = 1024
CACHE_HIT_SHARE = 0.9
# Rough size of one training example until the team's data is validated.
ASSUMED_TOKENS_PER_EXAMPLE = 500
# Self-hosted 7-8B model on one GPU with batching (vLLM-like): tokens processed per second, serving and LoRA training.
GPU_SERVING_TOKENS_PER_SECOND = 1500
GPU_TRAINING_TOKENS_PER_SECOND = 3000


def default_epochs(examples: int) -> int:
    """OpenAI cookbook heuristic: aim for 3 epochs, at least ~100 example passes, at most ~25,000."""
    n = max(1, examples)
    if n * 3 < 100:
        return min(25, 100 // n)
    if n * 3 > 25_000:
        return max(1, 25_000 // n)
    return 3


def tuned_prompt_tokens(prompt_tokens: int) -> int:
    return min(prompt_tokens, max(TUNED_PROMPT_FLOOR, round(prompt_tokens * TUNED_PROMPT_FRACTION)))


@dataclass(slots=True)
class Traffic:
    requests_per_day: int
    prompt_tokens: int
    input_tokens: int
    output_tokens: int

    @property
    def requests_per_month(self) -> int:
        return self.requests_per_day * DAYS_PER_MONTH


@dataclass(slots=True)
class Cost:
    """One way of serving the traffic for a month: where, on what, the cost and its parts (USD)."""

    provider: str
    model: str | None
    block_tokens: int
    cached_share: float
    total: float | None
    block: float | None = None
    input: float | None = None
    output: float | None = None
    self_hosted: bool = False
    notes: tuple[str, ...] = field(default=())


def _usd(tokens: float, per_mtok: float) -> float:
    return tokens * per_mtok / 1_000_000


@dataclass(slots=True)
class Rates:
    """USD per million tokens a request pays: its block and input, its output, and the cached block (None: never cached)."""

    input: float
    output: float
    cached: float | None = None


def _api_parts(rates: Rates, traffic: Traffic, block_tokens: int) -> tuple[float, float, float, float]:
    """(cached share, block, user input, output) in USD a month; the one place API traffic is priced."""
    share = CACHE_HIT_SHARE if rates.cached is not None and block_tokens >= CACHE_MIN_TOKENS else 0.0
    block_rate = share * (rates.cached or 0.0) + (1 - share) * rates.input
    requests = traffic.requests_per_month
    block = _usd(block_tokens * requests, block_rate)
    user_input = _usd(traffic.input_tokens * requests, rates.input)
    output = _usd(traffic.output_tokens * requests, rates.output)
    return share, block, user_input, output


def _api_total(rates: Rates, traffic: Traffic, block_tokens: int) -> float:
    _, block, user_input, output = _api_parts(rates, traffic, block_tokens)
    return block + user_input + output


def rates_of(model: ModelEntry, *, tuned: bool) -> Rates | None:
    """Base rates (with the cached-input rate where the provider caches), or the tuned model's (a short tuned
    block is below the cache minimum, so never cached)."""
    if tuned:
        return Rates(model.tuned_price.input_per_mtok, model.tuned_price.output_per_mtok) if model.tuned_price else None
    if model.price is None:
        return None
    return Rates(model.price.input_per_mtok, model.price.output_per_mtok, model.price.cached_input_per_mtok)


def api_cost(provider: str, model: ModelEntry | None, traffic: Traffic, *, tuned: bool, block_tokens: int) -> Cost:
    """A hosted API: cached block where it applies; base or tuned rates."""
    name = model.id if model else None
    rates = rates_of(model, tuned=tuned) if model else None
    if rates is None:
        return Cost(provider, name, block_tokens, 0.0, None, notes=("no_price",))
    share, block, user_input, output = _api_parts(rates, traffic, block_tokens)
    return Cost(provider, name, block_tokens, share, block + user_input + output, block, user_input, output)


def gpu_total(usd_per_gpu_hour: float, traffic: Traffic, block_tokens: int) -> float:
    tokens = (block_tokens + traffic.input_tokens + traffic.output_tokens) * traffic.requests_per_month
    hours = max(HOURS_PER_MONTH, tokens / GPU_SERVING_TOKENS_PER_SECOND / 3600)
    return hours * usd_per_gpu_hour


def gpu_cost(model: ModelEntry | None, traffic: Traffic, *, block_tokens: int) -> Cost:
    """Self-hosted: enough GPU-hours for the month's tokens, at least one GPU kept up all month."""
    name = model.id if model else None
    if model is None or model.gpu_price is None:
        return Cost("open_weights", name, block_tokens, 0.0, None, self_hosted=True, notes=("no_price",))
    total = gpu_total(model.gpu_price.usd_per_gpu_hour, traffic, block_tokens)
    return Cost("open_weights", name, block_tokens, 0.0, total, self_hosted=True)


_SERVING: Bounded[tuple[str, str, str | None, dt.date], tuple[str, ModelEntry | None]] = Bounded(4096)


def serving_model(catalog: Catalog, provider: str, model: str | None, today: dt.date) -> tuple[str, ModelEntry | None]:
    """The provider and model that serve today's prompt: the given model if the provider lists it, else the default
    (kept per catalog version, provider, model and day)."""
    key = (catalog.version, provider, model, today)
    found = _SERVING.get(key)
    if found is None:
        found = _SERVING.put(key, _serving_model(catalog, provider, model, today))
    return found


def _serving_model(catalog: Catalog, provider: str, model: str | None, today: dt.date) -> tuple[str, ModelEntry | None]:
    if provider == "undecided":
        choice = catalog.default_choice("undecided", "prompting", today)
        return (choice[0].provider, choice[1]) if choice else ("google", None)
    entry = catalog.providers[provider]
    found = entry.model(model, today) if model else None
    if found is not None and not found.available_on(today) and found.replacement:
        found = entry.model(found.replacement, today) or found
    return provider, found or entry.default_for("prompting", today) or entry.default_for("tuning", today)


def cost_today(catalog: Catalog, provider: str, model: str | None, traffic: Traffic, today: dt.date) -> Cost:
    name, entry = serving_model(catalog, provider, model, today)
    if name == "open_weights":
        return gpu_cost(entry, traffic, block_tokens=traffic.prompt_tokens)
    return api_cost(name, entry, traffic, tuned=False, block_tokens=traffic.prompt_tokens)


def cost_baseline(catalog: Catalog, provider: str, model: str | None, traffic: Traffic) -> Cost:
    """Today's prompt on the model that would be tuned, untuned: the side tuning's own saving is measured from."""
    entry = tuned_model(catalog, provider, model)
    if provider == "open_weights":
        return gpu_cost(entry, traffic, block_tokens=traffic.prompt_tokens)
    return api_cost(provider, entry, traffic, tuned=False, block_tokens=traffic.prompt_tokens)


def tuned_model(catalog: Catalog, provider: str, model: str | None) -> ModelEntry | None:
    entry = catalog.providers.get(provider)
    return entry.model(model) if entry and model else None


def cost_tuned(catalog: Catalog, provider: str, model: str | None, traffic: Traffic) -> Cost:
    """The same traffic on a tuned ``model`` of ``provider`` with a shorter block.

    A tunable Gemini model without a tuned price is priced at its base rates, as Vertex AI prices the tuned
    2.5 models in the catalog; the note says so.
    """
    entry = tuned_model(catalog, provider, model)
    block = tuned_prompt_tokens(traffic.prompt_tokens)
    if provider == "open_weights":
        return gpu_cost(entry, traffic, block_tokens=block)
    if entry is not None and entry.tuned_price is None and provider == "google" and entry.price is not None:
        cost = api_cost(provider, entry, traffic, tuned=False, block_tokens=block)
        return Cost(
            cost.provider, cost.model, block, 0.0, cost.total, cost.block, cost.input, cost.output, notes=("tuned_at_base_rate",)
        )
    return api_cost(provider, entry, traffic, tuned=True, block_tokens=block)


def training_cost(
    catalog: Catalog, provider: str, model: str | None, examples: int, tokens_per_example: int = ASSUMED_TOKENS_PER_EXAMPLE
) -> tuple[float | None, int]:
    """(USD for one tuning run, epochs); None when there is nothing to train on or no price for it."""
    epochs = default_epochs(examples)
    entry = tuned_model(catalog, provider, model)
    if examples <= 0 or entry is None:
        return None, epochs
    tokens = examples * tokens_per_example * epochs
    if provider == "open_weights":
        if entry.gpu_price is None:
            return None, epochs
        hours = max(1.0, tokens / GPU_TRAINING_TOKENS_PER_SECOND / 3600)
        return round(hours * entry.gpu_price.usd_per_gpu_hour, 2), epochs
    if entry.tuned_price is None:
        return None, epochs
    return round(_usd(tokens, entry.tuned_price.training_per_mtok), 2), epochs


def monthly_saving(today_cost: Cost, tuned_cost: Cost) -> float | None:
    """Dollars a month a tuned model would save (negative: it would cost more); None when either side is unpriced."""
    if today_cost.total is None or tuned_cost.total is None:
        return None
    return today_cost.total - tuned_cost.total  # unrounded: rules compare it with thresholds


def payback_days(training: float | None, saving: float | None) -> float | None:
    if training is None or saving is None or saving <= 0:
        return None
    return round(training / (saving / DAYS_PER_MONTH), 1)


def implausible(today_cost: Cost, traffic: Traffic) -> bool:
    """A figure no team would pay without noticing: more than $10M a month, or more than 10B tokens a day."""
    tokens_a_day = (traffic.prompt_tokens + traffic.input_tokens + traffic.output_tokens) * traffic.requests_per_day
    return (today_cost.total or 0.0) > 10_000_000 or tokens_a_day > 10**10 or math.isinf(float(tokens_a_day))
