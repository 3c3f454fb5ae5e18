"""Checks of a profile against the catalog that the Profile's own types cannot make."""

from __future__ import annotations

from knowledge.loader import Catalog
from rules.facts import Profile


class ProfileError(ValueError):
    """A profile the catalog contradicts; ``field`` and ``code`` say where and what (the API answers 422)."""

    def __init__(self, message: str, *, field: str, code: str) -> None:
        super().__init__(message)
        self.field = field
        self.code = code


def check_model(profile: Profile, catalog: Catalog) -> None:
    """A model the catalog lists under another provider is a mistake, not something to price as the default."""
    if not profile.model or profile.provider == "undecided":
        return
    if catalog.provider(profile.provider).model(profile.model) is not None:
        return
    owners = [name for name, entry in catalog.providers.items() if entry.model(profile.model) is not None]
    if owners:
        raise ProfileError(
            f"{profile.model!r} is a model of {', '.join(owners)}, not of {profile.provider}; "
            f"set provider to {owners[0]!r}, or pick one of {profile.provider}'s models.",
            field="model",
            code="model_of_another_provider",
        )
