"""Every provider object, found by name, and the one place where ``undecided`` becomes a provider.

A provider is the module ``service/providers/<name>.py`` exposing ``PROVIDER``, next to the catalog file
``knowledge/catalog/<name>.yaml``: the catalog's provider names are the registry's, so adding a provider
touches no list here.
"""

from __future__ import annotations

import datetime as dt
import importlib

from knowledge.loader import UNDECIDED, Catalog, Purpose, default_catalog
from service.errors import ValidationFailed
from service.providers.base import Provider

FALLBACK = "open_weights"  # an undecided team with no hosted default left can always run open weights


class UnknownProvider(ValidationFailed):
    code = "unknown_provider"


def _load(name: str) -> Provider:
    try:
        module = importlib.import_module(f"service.providers.{name}")
    except ModuleNotFoundError as exc:
        raise LookupError(f"knowledge/catalog/{name}.yaml has no service/providers/{name}.py") from exc
    provider = getattr(module, "PROVIDER", None)
    if not isinstance(provider, Provider) or provider.name != name:
        raise LookupError(f"service/providers/{name}.py must define PROVIDER, a Provider named {name!r}")
    return provider


def all_providers(catalog: Catalog | None = None) -> list[Provider]:
    """One object per catalog provider, in catalog order."""
    return [_load(name) for name in (catalog or default_catalog()).providers]


def names(catalog: Catalog | None = None) -> list[str]:
    return list((catalog or default_catalog()).providers)


def provider_for(
    name: str, purpose: Purpose = "prompting", today: dt.date | None = None, catalog: Catalog | None = None
) -> Provider:
    """The provider object for ``name``; ``undecided`` is the catalog's default choice for ``purpose`` on ``today``.

    Undecided teams get, for tuning, the first provider whose tuning is ``available`` (not winding down) with a
    model to tune today; for prompting and extraction, the first provider with a default. Both need ``today``.
    """
    catalog = catalog or default_catalog()
    if name == UNDECIDED:
        if today is None:
            raise ValueError("resolving 'undecided' needs today's date")
        found = catalog.default_choice(UNDECIDED, purpose, today)
        name = found[0].provider if found else FALLBACK
    if name not in catalog.providers:
        known = ", ".join([*catalog.providers, UNDECIDED])
        raise UnknownProvider(f"Unknown provider {name!r}; use one of: {known}.", field="provider")
    return _load(name)
