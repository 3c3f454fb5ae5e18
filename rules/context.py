"""What derived facts need from the catalog on a day, computed once per (provider, model, ...) and kept.

The questionnaire's search and the counterfactuals derive facts tens of thousands of times; everything that
depends only on the provider side of a profile is one ``ProviderBundle``, looked up with one dict access, and
the saving (which also depends on the traffic) is kept per traffic. Caches are plain bounded dicts: cleared when
full, keyed by values, and held per catalog version and day (``context_for``).
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from knowledge.loader import Catalog, ModelEntry
from rules.bounded import Bounded
from rules.economics import Traffic, serving_model
from rules.feasibility import NO_END, TuningTarget, tuning_target, viable
from rules.saving import Saving, Scale, saving_models

Values = Mapping[str, Any]
CACHE_LIMIT = 20_000
# Savings are kept for the few traffics just priced: a decision prices one traffic for two facts (the saving and
# whether it is known) and its economics, and a what-if search or a questionnaire plan a few dozen more, most of them
# new to every other profile. Of the savings asked for again, 88 % (public profiles with new traffic) and 65 %
# (profiles new in every field) had been priced fewer than 256 traffics before; the rest cost 1-3 µs to price again.
# At 20,000 entries the cache only grew through the soak (bench/load.py: ~11,000 entries, 2.4 MiB in 4 minutes).
SAVINGS_LIMIT = 256
PROVIDER_SIDE = ("provider", "model", "own_infrastructure", "openai_can_tune")
TRAFFIC = ("prompt_tokens", "requests_per_day", "input_tokens", "output_tokens")
SAVING_INPUTS = PROVIDER_SIDE + TRAFFIC


_saving_key = operator.itemgetter(*SAVING_INPUTS)


def traffic_of(values: Values) -> Traffic:
    return Traffic(values["requests_per_day"], values["prompt_tokens"], values["input_tokens"], values["output_tokens"])


@dataclass(frozen=True)
class ProviderBundle:
    """Everything about the provider side of a profile on one day."""

    target: TuningTarget
    viable: bool
    days_left: int
    window_end: str
    named: ModelEntry | None
    serving: ModelEntry | None
    retired: bool
    saving: Saving  # tuning's monthly saving on the tuning target, per traffic
    scale: Scale  # what that saving's rounding is relative to (both sides' costs), per traffic

    @property
    def serving_id(self) -> str:
        return self.serving.id if self.serving is not None else "—"


@dataclass
class Context:
    """The catalog and the day facts are derived for, with what has been computed for them."""

    catalog: Catalog
    today: dt.date
    _bundles: Bounded[tuple[Any, ...], ProviderBundle] = field(default_factory=lambda: Bounded(CACHE_LIMIT))
    _savings: Bounded[tuple[Any, ...], float | None] = field(default_factory=lambda: Bounded(SAVINGS_LIMIT))

    def bundle(self, values: Values) -> ProviderBundle:
        key = (values["provider"], values["model"], values["own_infrastructure"], values["openai_can_tune"])
        found = self._bundles.get(key)
        return found if found is not None else self._bundles.put(key, self._build(*key))

    def _build(self, provider: str, model: str | None, own: bool, org: str) -> ProviderBundle:
        catalog, today = self.catalog, self.today
        target = tuning_target(catalog, provider, model, own, org, today)
        ok, _, days = (True, "undecided", NO_END) if provider == "undecided" else viable(catalog, provider, model, org, today)
        entry = catalog.providers.get(provider)
        named = entry.model(model, today) if entry is not None and model else None
        end = "" if days >= NO_END else (today + dt.timedelta(days=days)).isoformat()
        saving, scale = saving_models(catalog, target.provider, target.model)
        return ProviderBundle(
            target=target,
            viable=ok,
            days_left=days,
            window_end=end,
            named=named,
            serving=serving_model(catalog, provider, model, today)[1],
            retired=named is not None and not named.available_on(today),
            saving=saving,
            scale=scale,
        )

    def saving(self, values: Values) -> float | None:
        """Tuning's own monthly saving: the tuned target against the same model untuned (None when unpriced)."""
        key = _saving_key(values)
        if key in self._savings:
            return self._savings[key]
        saving = self.bundle(values).saving(
            values["requests_per_day"], values["prompt_tokens"], values["input_tokens"], values["output_tokens"]
        )
        return self._savings.put(key, saving)

    def saving_scale(self, values: Values) -> float:
        """What the saving's float rounding is relative to: both sides' monthly costs, bounded above (not kept)."""
        return self.bundle(values).scale(
            values["requests_per_day"], values["prompt_tokens"], values["input_tokens"], values["output_tokens"]
        )


_CONTEXTS: dict[tuple[str, dt.date], Context] = {}


def context_for(catalog: Catalog, today: dt.date) -> Context:
    """The derivation context of (catalog, day), built once: keyed by the catalog's content version, not its id."""
    key = (catalog.version, today)
    found = _CONTEXTS.get(key)
    if found is None:
        if len(_CONTEXTS) >= 64:
            _CONTEXTS.clear()
        found = _CONTEXTS[key] = Context(catalog, today)
    return found
