"""The economics a verdict shows, in people's language: today's monthly cost against the tuned model where tuning
would happen, every token counted (the arithmetic is rules/economics.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from knowledge.loader import Catalog
from rules import economics as eco
from rules.bounded import Bounded
from rules.context import context_for, traffic_of
from rules.facts import Lang
from rules.model import CostSide, Economics
from rules.texts import phrase, value_text


def _side(cost: eco.Cost) -> CostSide:
    return CostSide(
        provider=cost.provider,
        model=cost.model,
        block_tokens=cost.block_tokens,
        cached_share=cost.cached_share,
        total_usd=None if cost.total is None else round(cost.total, 2),
        block_usd=None if cost.block is None else round(cost.block, 2),
        input_usd=None if cost.input is None else round(cost.input, 2),
        output_usd=None if cost.output is None else round(cost.output, 2),
        self_hosted=cost.self_hosted,
    )


def _notes(cost: eco.Cost, lang: Lang) -> list[str]:
    notes = []
    if "no_price" in cost.notes:
        notes.append(phrase("eco_no_price", lang, model=cost.model or cost.provider))
    if "tuned_at_base_rate" in cost.notes:
        notes.append(phrase("eco_tuned_at_base", lang, model=cost.model))
    if cost.self_hosted and cost.total is not None:
        notes.append(phrase("eco_gpu", lang, model=cost.model, tps=eco.GPU_SERVING_TOKENS_PER_SECOND))
    return notes


def cost_today(values: dict[str, Any], catalog: Catalog, today: dt.date) -> eco.Cost:
    """What today's traffic costs a month on today's model."""
    return eco.cost_today(catalog, values["provider"], values["model"], traffic_of(values), today)


def monthly_cost_today(values: dict[str, Any], catalog: Catalog, today: dt.date) -> float | None:
    """What today's traffic costs a month on today's model (None when unpriced): decides whether economics are shown."""
    return cost_today(values, catalog, today).total


def economics(
    values: dict[str, Any],
    facts: dict[str, Any],
    catalog: Catalog,
    today: dt.date,
    lang: Lang,
    unanswered: frozenset[str],
    now: eco.Cost | None = None,
) -> Economics:
    """Today's monthly cost against the tuned model where tuning would happen, every token counted (``now``: today's
    cost, when the caller has it)."""
    traffic = traffic_of(values)
    target = context_for(catalog, today).bundle(values).target
    now = now or eco.cost_today(catalog, values["provider"], values["model"], traffic, today)
    base = eco.cost_baseline(catalog, target.provider, target.model, traffic)
    tuned = eco.cost_tuned(catalog, target.provider, target.model, traffic)
    training, epochs = eco.training_cost(catalog, target.provider, target.model, values["examples"])
    saving = eco.monthly_saving(base, tuned)
    lines = [_fixed("eco_month", lang)]
    lines.append(
        phrase("eco_cache", lang, share=now.cached_share)
        if now.cached_share
        else phrase("eco_no_cache", lang, min=eco.CACHE_MIN_TOKENS)
    )
    lines.append(_fixed("eco_tuned_block", lang))
    if values["examples"] <= 0:
        lines.append(phrase("eco_no_examples", lang))
    else:
        lines.append(phrase("eco_training", lang, tokens=eco.ASSUMED_TOKENS_PER_EXAMPLE, epochs=epochs))
        if training is None:
            lines.append(phrase("eco_no_training_price", lang, model=target.model or target.provider))
    if target.provider != now.provider:
        lines.append(
            phrase(
                "eco_elsewhere",
                lang,
                provider=value_text("provider", target.provider, lang),
                today=value_text("provider", now.provider, lang),
            )
        )
    lines = list(dict.fromkeys([*lines, *_notes(now, lang), *_notes(base, lang), *_notes(tuned, lang)]))
    sanity = []
    if eco.implausible(now, traffic):
        sanity.append(phrase("eco_implausible", lang))
    if saving is not None and saving < 0:
        sanity.append(phrase("eco_costs_more", lang))
    requests = traffic.requests_per_month
    today_side, tuned_side = _side(now), _side(tuned)
    return Economics(
        provider=now.provider,
        model=now.model,
        tuned_provider=tuned.provider,
        tuned_model=tuned.model,
        requests_per_month=requests,
        prompt_tokens_today=traffic.prompt_tokens,
        prompt_tokens_tuned=tuned.block_tokens,
        input_tokens=traffic.input_tokens,
        output_tokens=traffic.output_tokens,
        monthly_prompt_tokens_today=traffic.prompt_tokens * requests,
        monthly_prompt_tokens_tuned=tuned.block_tokens * requests,
        today=today_side,
        baseline=None if (base.provider, base.model) == (now.provider, now.model) else _side(base),
        tuned=tuned_side,
        monthly_cost_today_usd=today_side.total_usd,
        monthly_cost_tuned_usd=tuned_side.total_usd,
        monthly_saving_usd=None if saving is None else round(saving, 2),
        training_cost_estimate_usd=training,
        training_epochs=epochs,
        payback_days=eco.payback_days(training, saving),
        prices_as_of=_prices_as_of(catalog, now, tuned),
        assumptions=lines,
        sanity=sanity,
    )


# Texts and dates that depend on a few values only, kept by them.
_FIXED: dict[tuple[str, Lang], str] = {}
_AS_OF: Bounded[tuple[Any, ...], str | None] = Bounded(4096)


def _fixed(name: str, lang: Lang) -> str:
    """A phrase whose values are constants of rules/economics.py."""
    found = _FIXED.get((name, lang))
    if found is None:
        constants: dict[str, dict[str, Any]] = {
            "eco_month": {"days": eco.DAYS_PER_MONTH},
            "eco_tuned_block": {"fraction": eco.TUNED_PROMPT_FRACTION, "floor": eco.TUNED_PROMPT_FLOOR},
        }
        found = _FIXED[name, lang] = phrase(name, lang, **constants[name])
    return found


def _prices_as_of(catalog: Catalog, now: eco.Cost, tuned: eco.Cost) -> str | None:
    """The oldest date of the prices of today's and the tuned model (kept per catalog version and those models)."""
    key = (catalog.version, now.provider, now.model, tuned.provider, tuned.model)
    if key in _AS_OF:
        return _AS_OF[key]
    models = [m for m in (_model(catalog, now), _model(catalog, tuned)) if m is not None]
    dates = [p.as_of for m in models for p in (m.price, m.tuned_price, m.gpu_price) if p is not None]
    return _AS_OF.put(key, min(dates).isoformat() if dates else None)


def _model(catalog: Catalog, cost: eco.Cost) -> Any:
    entry = catalog.providers.get(cost.provider)
    return entry.model(cost.model) if entry and cost.model else None
