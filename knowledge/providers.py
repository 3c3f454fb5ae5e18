"""A provider's entry and the whole catalog, with the defaults computed from model lifecycles.

The default for a provider and a purpose is the newest model (latest ``released``; on a tie, the one
listed first) that serves requests on ``today`` and lists that purpose; for tuning it must also be
tunable on ``today`` and the provider must still accept new jobs. Nothing shut down can be a default.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from functools import cached_property

from pydantic import Field

from knowledge.schema import PURPOSES, Deprecation, FineTuning, ModelEntry, ProviderName, Purpose, Sourced, _Strict

# Teams that have not picked a provider: tuning goes to a provider whose tuning is not winding down;
# prompting and extraction keep the catalog's provider order.
UNDECIDED = "undecided"
_PROVIDER_ORDER: tuple[ProviderName, ...] = ("openai", "google", "anthropic", "open_weights")


class ProviderEntry(Sourced):
    provider: ProviderName
    display_name: str
    fine_tuning: FineTuning
    deprecations: list[Deprecation]
    models: list[ModelEntry]
    sdk_models: str | None = Field(
        default=None, description="'<distribution>:<path>:<Literal name>' where the installed SDK lists model ids."
    )

    @property
    def restrictions(self) -> list[Deprecation]:
        """Provider-level dated facts (organisation restrictions, cut-offs, SDK removals)."""
        return self.deprecations

    def model(self, model_id: str | None, today: dt.date | None = None) -> ModelEntry | None:
        """The catalog entry for ``model_id`` (``ft:`` prefixes stripped); with no id, the tuning default."""
        if not model_id:
            return self.default_model(today)
        wanted = model_id.removeprefix("ft:").split(":")[0]
        for entry in self.models:
            if entry.id == wanted or entry.tuning_id == wanted:
                return entry
        return None

    def defaults(self, purpose: Purpose, today: dt.date) -> list[ModelEntry]:
        """Every model fit for ``purpose`` on ``today``, newest first."""
        if purpose == "tuning" and not self.can_fine_tune(today):
            return []
        fit = [
            m
            for m in self.models
            if purpose in m.lifecycle.purposes and m.available_on(today) and (purpose != "tuning" or m.tunable_on(today))
        ]
        order = {m.id: i for i, m in enumerate(self.models)}
        return sorted(fit, key=lambda m: (-(m.lifecycle.released or dt.date.min).toordinal(), order[m.id]))

    def default_for(self, purpose: Purpose, today: dt.date) -> ModelEntry | None:
        """The newest model fit for ``purpose`` on ``today``, or None (e.g. no tuning can start)."""
        fit = self.defaults(purpose, today)
        return fit[0] if fit else None

    def default_model(self, today: dt.date | None = None) -> ModelEntry | None:
        """The model to tune on ``today`` (the real date if not given); a provider that cannot tune gets its prompting default."""
        day = today or dt.date.today()
        return self.default_for("tuning", day) or self.default_for("prompting", day)

    def fine_tuning_end(self) -> dt.date | None:
        """The date from which no new tuning job can start, if one is announced."""
        ends = [d.date for d in self.deprecations if d.ends_fine_tuning]
        return min(ends) if ends else None

    def can_fine_tune(self, today: dt.date) -> bool:
        """True when the provider still accepts a new tuning job on ``today``."""
        end = self.fine_tuning_end()
        return self.fine_tuning.supported and (end is None or today < end)


class Catalog(_Strict):
    providers: dict[str, ProviderEntry]

    @property
    def as_of(self) -> dt.date:
        """The oldest provider as_of: the catalog is only as fresh as its stalest entry."""
        return min(entry.as_of for entry in self.providers.values())

    @property
    def checked_on(self) -> dt.date:
        """The newest provider as_of: the day the catalog was last checked against its sources."""
        return max(entry.as_of for entry in self.providers.values())

    @cached_property
    def version(self) -> str:
        """A hash of the catalog's content: caches key on it, so an edited catalog is never served from a stale cache."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:12]

    def provider(self, name: str) -> ProviderEntry:
        return self.providers[name]

    def default_choice(self, provider: str, purpose: Purpose, today: dt.date) -> tuple[ProviderEntry, ModelEntry] | None:
        """The provider and model to use; ``undecided`` teams get the first provider in catalog order with a default."""
        if purpose not in PURPOSES:
            raise ValueError(f"unknown purpose {purpose!r}; use one of {', '.join(PURPOSES)}")
        names: list[str] = [provider]
        if provider == UNDECIDED:
            names = [n for n in _PROVIDER_ORDER if n in self.providers]
            if purpose == "tuning":
                names = [n for n in names if self.providers[n].fine_tuning.status == "available"]
        for name in names:
            entry = self.providers[name]
            model = entry.default_for(purpose, today)
            if model is not None:
                return entry, model
        return None

    def default_model(self, provider: str, purpose: Purpose, today: dt.date) -> ModelEntry | None:
        """The default model for ``provider`` (or ``undecided``) and ``purpose`` on ``today``."""
        found = self.default_choice(provider, purpose, today)
        return found[1] if found else None
