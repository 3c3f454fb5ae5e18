"""One registry of artifact builders, keyed by strategy. Built-in builders register like any other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

from rules.facts import Profile, Strategy
from rules.model import Verdict


@dataclass(frozen=True)
class ArtifactContext:
    """What a builder may use: the profile, its verdict, and the material the caller sent."""

    profile: Profile
    verdict: Verdict
    material: dict[str, Any] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)


Builder = Callable[[ArtifactContext], BaseModel]
_BUILDERS: dict[Strategy, list[Builder]] = {}


def register(*strategies: Strategy) -> Callable[[Builder], Builder]:
    """Register ``builder`` for each of ``strategies``; a strategy may have several (RAG + tuning has two)."""

    def add(builder: Builder) -> Builder:
        for strategy in strategies:
            if builder in _BUILDERS.setdefault(strategy, []):
                raise ValueError(f"{builder.__name__} is already registered for {strategy}")
            _BUILDERS[strategy].append(builder)
        return builder

    return add


def builders_for(strategy: Strategy) -> list[Builder]:
    """The builders of ``strategy``, in registration order."""
    _load_builtin()
    return list(_BUILDERS.get(strategy, []))


def _load_builtin() -> None:
    # Importing the modules runs their @register decorators; done lazily so importing the registry is cheap.
    from service.artifacts import prompting, tuning_spec  # noqa: F401
