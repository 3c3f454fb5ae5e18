"""The what-if search's saving model against the priced sides the verdict shows."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from knowledge.loader import default_catalog
from rules.context import SAVINGS_LIMIT, Context
from rules.economics import Traffic, cost_baseline, cost_tuned, monthly_saving
from rules.saving import saving_models

CATALOG = default_catalog()
TARGETS = sorted(
    {(provider, model.id) for provider, entry in CATALOG.providers.items() for model in entry.models}
    | {(provider, None) for provider in CATALOG.providers}
    | {("openai", "no-such-model")},
    key=str,
)
traffic = st.builds(
    Traffic,
    st.integers(0, 10**7),
    st.one_of(st.integers(0, 2_000), st.integers(900, 12_000), st.integers(0, 10**6)),
    st.integers(0, 50_000),
    st.integers(0, 50_000),
)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(TARGETS), traffic)
def test_the_saving_model_is_the_priced_difference_to_the_last_bit(target: tuple[str, str | None], load: Traffic) -> None:
    provider, model = target
    expected = monthly_saving(cost_baseline(CATALOG, provider, model, load), cost_tuned(CATALOG, provider, model, load))
    # Equal, not close: a rule threshold (e.g. $500 a month) must be crossed at the same traffic by both.
    saving, _ = saving_models(CATALOG, provider, model)
    assert saving(load.requests_per_day, load.prompt_tokens, load.input_tokens, load.output_tokens) == expected


def test_every_kind_of_target_is_priced_somewhere() -> None:
    savings = [(provider, saving_models(CATALOG, provider, model)[0](10_000, 8_000, 300, 200)) for provider, model in TARGETS]
    priced = {provider for provider, saving in savings if saving is not None}
    assert {"openai", "google", "open_weights"} <= priced


def test_a_context_keeps_only_the_savings_it_priced_last_and_prices_older_ones_again_the_same() -> None:
    context = Context(default_catalog(), dt.date(2026, 12, 5))
    side = {"provider": "openai", "model": None, "own_infrastructure": False, "openai_can_tune": "yes"}
    traffics = [
        {**side, "requests_per_day": 1000 + n, "prompt_tokens": 1500, "input_tokens": 200, "output_tokens": 80}
        for n in range(4 * SAVINGS_LIMIT)
    ]
    first = [context.saving(values) for values in traffics]
    assert len(context._savings) <= SAVINGS_LIMIT <= 1024  # a long run of new traffics holds a few hundred, not 20,000
    assert [context.saving(values) for values in traffics] == first  # priced again, to the last bit
    assert all(isinstance(value, float) for value in first) and first[0] != first[-1]
