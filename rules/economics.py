"""What today's instruction block costs per month, against a tuned model with a shorter prompt."""

from __future__ import annotations

from knowledge.loader import Catalog, ModelEntry
from rules.facts import Profile
from rules.model import Economics

DAYS_PER_MONTH = 30
# A tuned model still needs a short instruction; we assume it keeps a tenth of today's block.
TUNED_PROMPT_FRACTION = 0.1
TUNED_PROMPT_FLOOR = 50
# Rough size of one training example when the team has not uploaded its data yet.
ASSUMED_TOKENS_PER_EXAMPLE = 500
ASSUMED_EPOCHS = 3


def pricing_provider(provider: str) -> str:
    """The provider whose prices apply; undecided teams are priced on Vertex Gemini."""
    return "google" if provider == "undecided" else provider


def priced_model(catalog: Catalog, provider: str, model: str | None) -> ModelEntry | None:
    entry = catalog.provider(pricing_provider(provider))
    return entry.model(model) or entry.default_model()


def tuned_prompt_tokens(prompt_tokens: int) -> int:
    return min(prompt_tokens, max(TUNED_PROMPT_FLOOR, round(prompt_tokens * TUNED_PROMPT_FRACTION)))


def _cost(tokens: int, per_mtok: float | None) -> float | None:
    return None if per_mtok is None else round(tokens * per_mtok / 1_000_000, 2)


def _monthly_costs(entry: ModelEntry | None, prompt_tokens: int, requests_per_day: int) -> tuple[float | None, float | None]:
    requests = requests_per_day * DAYS_PER_MONTH
    base = entry.price.input_per_mtok if entry and entry.price else None
    tuned = entry.tuned_price.input_per_mtok if entry and entry.tunable and entry.tuned_price else None
    return _cost(prompt_tokens * requests, base), _cost(tuned_prompt_tokens(prompt_tokens) * requests, tuned)


def monthly_saving_usd(catalog: Catalog, provider: str, model: str | None, prompt_tokens: int, requests_per_day: int) -> float:
    """Dollars a month a shorter prompt would save if the behaviour lived in the weights.

    Whether the provider can tune is a separate rule, so a provider without a tuned price is
    priced at its own base price (Claude), and one without any price (self-hosted open weights)
    at the undecided default (Vertex Gemini) as a proxy for inference cost.
    """
    entry = priced_model(catalog, provider, model)
    if entry is None or entry.price is None:
        entry = priced_model(catalog, "undecided", None)
    if entry is None or entry.price is None:
        return 0.0
    tuned_price = entry.tuned_price.input_per_mtok if entry.tunable and entry.tuned_price else entry.price.input_per_mtok
    requests = requests_per_day * DAYS_PER_MONTH
    today = _cost(prompt_tokens * requests, entry.price.input_per_mtok) or 0.0
    tuned = _cost(tuned_prompt_tokens(prompt_tokens) * requests, tuned_price) or 0.0
    return round(today - tuned, 2)


def estimate(profile: Profile, catalog: Catalog) -> Economics:
    """Monthly prompt tokens and cost today vs tuned, from the catalog's prices."""
    provider = catalog.provider(pricing_provider(profile.provider))
    entry = priced_model(catalog, profile.provider, profile.model)
    requests = profile.requests_per_day * DAYS_PER_MONTH
    tuned_tokens = tuned_prompt_tokens(profile.prompt_tokens)
    cost_today, cost_tuned = _monthly_costs(entry, profile.prompt_tokens, profile.requests_per_day)
    saving = None if cost_today is None or cost_tuned is None else round(cost_today - cost_tuned, 2)
    tuned = entry.tuned_price if entry and entry.tunable else None
    training_tokens = profile.examples * ASSUMED_TOKENS_PER_EXAMPLE * ASSUMED_EPOCHS
    training = _cost(training_tokens, tuned.training_per_mtok if tuned else None)
    payback = None
    if saving is not None and saving > 0 and training is not None:
        payback = round(training / (saving / DAYS_PER_MONTH), 1)

    assumptions = [
        f"{DAYS_PER_MONTH} days a month; only the instruction block is counted, not user input or output",
        f"a tuned model keeps {int(TUNED_PROMPT_FRACTION * 100)}% of today's block, at least {TUNED_PROMPT_FLOOR} tokens",
        f"training: {ASSUMED_TOKENS_PER_EXAMPLE} tokens per example × {ASSUMED_EPOCHS} epochs until real data is validated",
    ]
    if profile.provider == "undecided":
        assumptions.append("no provider chosen: priced on Vertex AI Gemini")
    if entry is None or entry.price is None:
        assumptions.append(f"{provider.display_name} has no per-token price in the catalog (self-hosted)")
    elif tuned is None:
        assumptions.append(f"{provider.display_name} offers no tuned model to price")
    return Economics(
        provider=provider.provider,
        model=entry.id if entry else None,
        requests_per_month=requests,
        prompt_tokens_today=profile.prompt_tokens,
        prompt_tokens_tuned=tuned_tokens,
        monthly_prompt_tokens_today=profile.prompt_tokens * requests,
        monthly_prompt_tokens_tuned=tuned_tokens * requests,
        monthly_cost_today_usd=cost_today,
        monthly_cost_tuned_usd=cost_tuned,
        monthly_saving_usd=saving,
        training_cost_estimate_usd=training,
        payback_days=payback,
        prices_as_of=entry.as_of.isoformat() if entry else None,
        assumptions=assumptions,
    )
