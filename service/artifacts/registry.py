"""One registry of artifact builders, keyed by strategy. Built-in builders register like any other."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

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
B = TypeVar("B", bound=Builder)
_BUILDERS: dict[Strategy, list[Builder]] = {}


def register(*strategies: Strategy) -> Callable[[B], B]:
    """Register ``builder`` as THE builder of each of ``strategies`` (a combined strategy has its own builder)."""

    def add(builder: B) -> B:
        for strategy in strategies:
            taken = _BUILDERS.setdefault(strategy, [])
            if taken:
                raise ValueError(f"{strategy} already has a builder ({taken[0].__name__}); not adding {builder.__name__}")
            taken.append(builder)
        return builder

    return add


def builders_for(strategy: Strategy) -> list[Builder]:
    """The builder of ``strategy`` as a list (empty when none is registered)."""
    _load_builtin()
    return list(_BUILDERS.get(strategy, []))


def _load_builtin() -> None:
    # Importing the modules runs their @register decorators; done lazily so importing the registry is cheap.
    from service.artifacts import combined, prompting, rag_setup, tuning_spec  # noqa: F401
