"""What-if searches kept for a span of traffic values (ADR 0037) find what a search of their own would find.

A span is worked out from two ends (rules/whatif_traffic.py): the facts read from the traffic are monotone in it and
the ranks of the traffic's changes linear in its log, so what holds at both ends holds between. These tests decide
profiles at the ends of the spans kept and inside them, with the spans answering, and compare every verdict with the
one a search of its own gives (every kept search emptied).
"""

from __future__ import annotations

import random
from fractions import Fraction
from itertools import pairwise
from types import SimpleNamespace
from typing import Any

import pytest

from knowledge.loader import default_catalog
from rules import whatif
from rules.counterfactuals import NUMERIC, Candidate, field_candidates
from rules.economics import (
    CACHE_HIT_SHARE,
    CACHE_MIN_TOKENS,
    DAYS_PER_MONTH,
    GPU_SERVING_TOKENS_PER_SECOND,
    HOURS_PER_MONTH,
    Traffic,
    rates_of,
    tuned_model,
    tuned_prompt_tokens,
)
from rules.loading import default_rules
from rules.saving import saving_models
from rules.whatif_traffic import RELATIVE_MARGIN, _pairs_hold, _Ranks, plan
from tests.rules.cold_cases import case, recorded, verdict_of

CATALOG = default_catalog()
LANDMARKS = NUMERIC["requests_per_day"]


def _forget_searches() -> None:
    """Every kept search and pair phase, and every span, emptied: the next verdict is searched on its own."""
    for kept in (whatif._SEARCHES, whatif._PAIRS, whatif._READ, whatif._SPANS):
        kept.clear()


def _with_traffic(item: dict[str, Any], traffic: int) -> dict[str, Any]:
    return {**item, "profile": {**item["profile"], "requests_per_day": traffic}}


def _spans() -> set[tuple[Any, int, int]]:
    return {(key, low, high) for key, spans in whatif._SPANS.items() for low, high, _ in spans}


def _searched(item: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The verdict with whole searches emptied but spans kept, and whether a span answered it (no search kept)."""
    whatif._SEARCHES.clear()
    whatif._PAIRS.clear()
    verdict = verdict_of(item)
    return verdict, not whatif._SEARCHES


def test_the_bundled_rules_keep_searches_across_the_requests_per_day() -> None:
    found = plan(default_rules())
    assert found is not None
    assert found.field == "requests_per_day"
    assert [fact.name for fact, _ in found.facts] == ["monthly_saving_usd"]
    assert found.facts[0][1] == (500.0,)  # the one test of the saving: at least $500 a month
    assert found.landmarks == LANDMARKS


def test_a_verdict_answered_by_a_span_kept_for_other_traffic_is_the_recorded_one() -> None:
    """Each recorded case is decided at two traffic values near its own first (the second works out a span), then
    with no whole search kept: where a span answers, the verdict must be the one the unoptimised code recorded."""
    _forget_searches()
    wrong, spanned = [], 0
    for index, item in enumerate(recorded()):
        traffic = item["case"]["profile"].get("requests_per_day", 100)
        step = max(1, traffic // 40)
        for other in (traffic + step, traffic - step):
            verdict_of(_with_traffic(item["case"], max(0, other)))
        verdict, by_span = _searched(item["case"])
        spanned += by_span and item["case"]["with_counterfactuals"]
        if verdict != item["verdict"]:
            wrong.append(index)
    assert not wrong, f"{len(wrong)} verdicts differ, e.g. {wrong[:5]}"
    assert spanned > 20  # spans answered, not only were kept


@pytest.mark.parametrize("seed", [37, 41])
def test_verdicts_at_the_ends_and_inside_of_kept_spans_are_the_ones_searched_alone(seed: int) -> None:
    """Teams that tried prompting and have data (where the traffic's group is searched), each decided at a traffic
    value off the candidate values and at the next one: for every span that works out, the verdicts at both its ends
    and at values inside, each answered by the span, are compared with the verdicts each gets searched on its own."""
    rng = random.Random(seed)
    _forget_searches()
    asked: list[dict[str, Any]] = []
    for index in range(240):
        item = case(rng, 3 * index)  # every third case has tried prompting and has data
        item["with_counterfactuals"] = True
        traffic = rng.choice((rng.randint(101, 9_999), rng.randint(10_001, 999_999), rng.randint(1_000_001, 50_000_000)))
        verdict_of(_with_traffic(item, traffic))
        kept = _spans()
        verdict_of(_with_traffic(item, traffic + 1))  # the second time: its span is worked out
        for _, low, high in _spans() - kept:
            inside = {low, high, (low + high) // 2, *(rng.randint(low, high) for _ in range(2))}
            asked.extend(_with_traffic(item, value) for value in sorted(inside))
    answered = [(_searched(item), item) for item in asked]
    by_span = sum(spanned for (_, spanned), _ in answered)
    _forget_searches()
    wrong = []
    for (verdict, _), item in answered:
        _forget_searches()
        if verdict_of(item) != verdict:
            wrong.append(item["profile"])
    assert not wrong, f"{len(wrong)} of {len(answered)} verdicts differ, e.g. {wrong[:2]}"
    # All but a few from their span, ends included (a span's low end left out would lose about a fifth). A few may be
    # searched again: the memos are bounded (8 spans a key, 8 sets of groups a combination), and other tests' kept
    # groups change which groups a search builds (551 of 555 in one CI run).
    assert answered and by_span >= 0.95 * len(answered), (by_span, len(answered))


TARGETS = sorted(
    {(provider, model.id) for provider, entry in CATALOG.providers.items() for model in entry.models}
    | {(provider, None) for provider in CATALOG.providers},
    key=str,
)


def _exact_saving(provider: str, model: str | None, traffic: Traffic) -> tuple[Fraction, Fraction] | None:
    """The saving's two sides in exact arithmetic, from the same catalog prices (None when unpriced)."""

    entry = tuned_model(CATALOG, provider, model)
    if entry is None:
        return None
    requests = traffic.requests_per_day * DAYS_PER_MONTH
    block = tuned_prompt_tokens(traffic.prompt_tokens)
    if provider == "open_weights":
        if entry.gpu_price is None:
            return None
        price = Fraction(entry.gpu_price.usd_per_gpu_hour)

        def gpu(tokens: int) -> Fraction:
            total = (tokens + traffic.input_tokens + traffic.output_tokens) * requests
            return max(Fraction(HOURS_PER_MONTH), Fraction(total, GPU_SERVING_TOKENS_PER_SECOND * 3600)) * price

        return gpu(traffic.prompt_tokens), gpu(block)
    base = rates_of(entry, tuned=False)
    at_base_rate = entry.tuned_price is None and provider == "google" and entry.price is not None
    tuned = base if at_base_rate else rates_of(entry, tuned=True)
    if base is None or tuned is None:
        return None

    def side(rates: Any, tokens: int) -> Fraction:
        rate = Fraction(rates.input)
        if rates.cached is not None and tokens >= CACHE_MIN_TOKENS:
            share = Fraction(CACHE_HIT_SHARE)
            rate = share * Fraction(rates.cached) + (1 - share) * Fraction(rates.input)
        return (
            tokens * requests * rate
            + traffic.input_tokens * requests * Fraction(rates.input)
            + traffic.output_tokens * requests * Fraction(rates.output)
        ) / 1_000_000

    return side(base, traffic.prompt_tokens), side(tuned, block)


@pytest.mark.parametrize(("provider", "model"), TARGETS)
def test_the_saving_rounds_far_inside_the_margin_and_is_monotone_in_the_requests(provider: str, model: str | None) -> None:
    """What a span's margins rest on, against exact arithmetic on the same prices: the float saving is within a
    thousandth of the margin of the exact one, its scale is at least both sides, and the exact saving never turns back
    as the requests grow."""
    rng = random.Random(f"{provider} {model}")
    saving, scale = saving_models(CATALOG, provider, model)
    for _ in range(200):
        prompt = rng.choice((0, 300, 1023, 1024, 5000, rng.randint(0, 10_000_000)))
        rest = (prompt, rng.randint(0, 10_000_000), rng.randint(0, 5000))
        exact_savings = []
        for requests in sorted(rng.randint(0, 10_000_000_000) for _ in range(6)):
            exact = _exact_saving(provider, model, Traffic(requests, *rest))
            got = saving(requests, *rest)
            if exact is None:
                assert got is None
                continue
            today, after = exact
            assert got is not None
            assert scale(requests, *rest) >= float(today + after) * (1 - 1e-12)
            error = abs(Fraction(got) - (today - after))
            assert error <= Fraction(RELATIVE_MARGIN / 1000) * (today + after) + Fraction(1, 10**12)
            exact_savings.append(today - after)
        steps = [later - earlier for earlier, later in pairwise(exact_savings)]
        assert all(step >= 0 for step in steps) or all(step <= 0 for step in steps)


def _single(field: str, before: Any, value: Any) -> Candidate:
    return next(c for c in field_candidates(field, before) if c.value == value)


def test_ranks_that_cross_between_the_profiles_traffic_and_an_end_do_not_hold_there() -> None:
    """At 2,000 requests a day, "10,000 a day" (1.70) ranks before "1,000 tokens of input" from 50 (2.29); at 300 a day
    it no longer does (2.52), at 3,000 it still does (1.52)."""
    traffic = plan(default_rules())
    assert traffic is not None
    requests, more_input = _single("requests_per_day", 2000, 10_000), _single("input_tokens", 50, 1000)
    ranks = _Ranks(traffic, [(requests.effort, (requests,)), (more_input.effort, (more_input,))])

    def at(end: int) -> list[float]:
        return ranks.at({c.value: c.distance for c in field_candidates("requests_per_day", end)})

    assert ranks.before(0, 1, at(3000))
    assert not ranks.before(0, 1, at(300))
    # The same shape (here the same change twice) ties at every traffic: the search's order stands.
    same = _Ranks(traffic, [(requests.effort, (requests,)), (requests.effort, (requests,))])
    assert same.before(0, 1, at(300)) and not same.before(1, 0, at(300))
    # Less effort comes first whatever the distances.
    easier = _single("has_eval_set", False, True)
    mixed = _Ranks(traffic, [(easier.effort, (easier,)), (requests.effort, (requests,))])
    assert mixed.before(0, 1, [9.0, 0.0])


def test_a_pair_taken_must_stay_ahead_of_every_later_pair_that_could_give_its_strategy() -> None:
    traffic = plan(default_rules())
    assert traffic is not None
    more = _single("requests_per_day", 2000, 10_000)
    google = _single("provider", "openai", "google")
    more_input = _single("input_tokens", 50, 1000)
    weights = _single("provider", "openai", "open_weights")
    items = [(more.effort + google.effort, (more, google)), (more_input.effort + weights.effort, (more_input, weights))]
    ranks = _Ranks(traffic, items)
    group = SimpleNamespace(group=0)
    here = ranks.at({c.value: c.distance for c in field_candidates("requests_per_day", 2000)})
    crossed = ranks.at({c.value: c.distance for c in field_candidates("requests_per_day", 150)})
    assert here[0] < here[1] and crossed[0] > crossed[1]

    def record(outcomes: list[Any], own: frozenset[str] = frozenset()) -> Any:
        pair = (9, 0.0, 0, group, group, True)  # as the search ranks them: (effort, distance, order, a, b, same group)
        return SimpleNamespace(ranked=[pair] * 2, outcomes=outcomes, hits={"fine_tuning": 0}, own=[own])

    # The later pair gave the same strategy: it would be taken first where it ranks first.
    assert _pairs_hold(record(["fine_tuning", "fine_tuning"]), ranks, here)
    assert not _pairs_hold(record(["fine_tuning", "fine_tuning"]), ranks, crossed)
    # It gave another strategy: the order between them does not matter.
    assert _pairs_hold(record(["fine_tuning", "rag"]), ranks, crossed)
    # Skipped (not derived): it matters only if its group could give the strategy.
    assert not _pairs_hold(record(["fine_tuning", None], frozenset({"fine_tuning"})), ranks, crossed)
    assert _pairs_hold(record(["fine_tuning", None], frozenset({"rag"})), ranks, crossed)
    # Not gone through (the search stopped before it): it must stay behind every pair gone through.
    assert not _pairs_hold(record(["fine_tuning"]), ranks, crossed)
    assert _pairs_hold(record(["fine_tuning"]), ranks, here)
