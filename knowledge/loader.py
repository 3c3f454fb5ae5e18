"""Typed loading of the provider catalog and the guide.

A stale ``as_of`` is reported as a warning by :func:`stale_entries` (and by :mod:`knowledge.checks`);
loading never fails on age, only on a fact without a source or a value out of range.
The models live in :mod:`knowledge.schema` and :mod:`knowledge.providers`; they are re-exported here.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.providers import UNDECIDED, Catalog, ProviderEntry
from knowledge.schema import (
    PURPOSES,
    Deprecation,
    FineTuning,
    GpuPrice,
    Lifecycle,
    ModelEntry,
    Price,
    ProviderName,
    Purpose,
    Sourced,
    TunedPrice,
    Tuning,
)

__all__ = [
    "CATALOG_DIR",
    "GUIDE_DIR",
    "GUIDE_LANGS",
    "PROVIDERS",
    "PURPOSES",
    "UNDECIDED",
    "Catalog",
    "Deprecation",
    "FineTuning",
    "GpuPrice",
    "Guide",
    "GuideSection",
    "Lifecycle",
    "ModelEntry",
    "Price",
    "ProviderEntry",
    "ProviderName",
    "Purpose",
    "Sourced",
    "StaleEntry",
    "TunedPrice",
    "Tuning",
    "default_catalog",
    "default_guide",
    "guide_problems",
    "load_catalog",
    "load_guide",
    "parse_guide",
    "sourced_facts",
    "stale_entries",
]

KNOWLEDGE_DIR = Path(__file__).resolve().parent
CATALOG_DIR = KNOWLEDGE_DIR / "catalog"
GUIDE_DIR = KNOWLEDGE_DIR / "guide"

PROVIDERS: tuple[ProviderName, ...] = ("openai", "google", "anthropic", "open_weights")
GUIDE_LANGS: tuple[str, ...] = ("en", "he")


# libyaml's parser when PyYAML was built with it: the same documents, about 8x faster to read (the rules, the
# questions and the catalog load as a process starts).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """``yaml.safe_load`` on libyaml where it is available."""
    return yaml.load(text, Loader=SAFE_LOADER)


def _read_yaml(path: Path) -> object:
    return parse_yaml(path.read_text(encoding="utf-8"))


def load_catalog(directory: Path = CATALOG_DIR) -> Catalog:
    """Load and validate every ``<provider>.yaml`` in ``directory``."""
    providers: dict[str, ProviderEntry] = {}
    for name in PROVIDERS:
        entry = ProviderEntry.model_validate(_read_yaml(directory / f"{name}.yaml"))
        if entry.provider != name:
            raise ValueError(f"{directory / name}.yaml declares provider {entry.provider!r}")
        providers[name] = entry
    return Catalog(providers=providers)


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """The bundled catalog, loaded once per process."""
    return load_catalog()


@dataclass(frozen=True)
class StaleEntry:
    where: str
    as_of: dt.date
    age_days: int


def sourced_facts(catalog: Catalog) -> Iterator[tuple[str, Sourced]]:
    """Every sourced fact in the catalog with a dotted name saying where it sits."""
    for name, entry in catalog.providers.items():
        yield name, entry
        yield f"{name}.fine_tuning", entry.fine_tuning
        for dep in entry.deprecations:
            yield f"{name}.deprecations.{dep.id}", dep
        for model in entry.models:
            where = f"{name}.models.{model.id}"
            yield where, model
            yield f"{where}.lifecycle", model.lifecycle
            if model.lifecycle.tuning is not None:
                yield f"{where}.lifecycle.tuning", model.lifecycle.tuning
            for label, price in (("price", model.price), ("tuned_price", model.tuned_price), ("gpu_price", model.gpu_price)):
                if price is not None:
                    yield f"{where}.{label}", price


def stale_entries(catalog: Catalog, today: dt.date, max_age_days: int = 180) -> list[StaleEntry]:
    """Every sourced fact whose ``as_of`` is older than ``max_age_days`` on ``today``."""
    found: list[StaleEntry] = []
    for where, item in sourced_facts(catalog):
        age = (today - item.as_of).days
        if age > max_age_days:
            found.append(StaleEntry(where=where, as_of=item.as_of, age_days=age))
    return found


# --- the guide -------------------------------------------------------------------------

_HEADING = re.compile(r"^(#{1,4})\s+(.*?)\s*\{#([a-z0-9-]+)\}\s*$")


@dataclass(frozen=True)
class GuideSection:
    anchor: str
    title: str
    level: int
    body: str


@dataclass(frozen=True)
class Guide:
    lang: str
    title: str
    sections: dict[str, GuideSection]


def parse_guide(text: str, lang: str) -> Guide:
    """Split a guide into sections at headings that carry a ``{#anchor}``."""
    sections: dict[str, GuideSection] = {}
    title = ""
    current: tuple[str, str, int] | None = None
    lines: list[str] = []

    def close() -> None:
        if current is not None:
            anchor, heading, level = current
            sections[anchor] = GuideSection(anchor, heading, level, "\n".join(lines).strip())

    for line in text.splitlines():
        match = _HEADING.match(line)
        if match:
            close()
            level, heading, anchor = len(match.group(1)), match.group(2), match.group(3)
            if anchor in sections:
                raise ValueError(f"guide {lang}: duplicate anchor {anchor!r}")
            current = (anchor, heading, level)
            lines = []
        elif line.startswith("# ") and not title:
            title = line[2:].strip()
        elif current is not None:
            lines.append(line)
    close()
    return Guide(lang=lang, title=title, sections=sections)


def load_guide(lang: str, directory: Path = GUIDE_DIR) -> Guide:
    """Load ``guide/<lang>.md``; ``lang`` must be one of GUIDE_LANGS."""
    if lang not in GUIDE_LANGS:
        raise KeyError(lang)
    return parse_guide((directory / f"{lang}.md").read_text(encoding="utf-8"), lang)


@lru_cache(maxsize=len(GUIDE_LANGS))
def default_guide(lang: str) -> Guide:
    """The bundled guide in ``lang``, loaded once per process."""
    return load_guide(lang)


def guide_problems(directory: Path = GUIDE_DIR) -> list[str]:
    """Anchors present in one language of the guide but not in another."""
    guides = {lang: load_guide(lang, directory) for lang in GUIDE_LANGS}
    reference = list(guides["en"].sections)
    problems = []
    for lang, guide in guides.items():
        missing = [anchor for anchor in reference if anchor not in guide.sections]
        extra = [anchor for anchor in guide.sections if anchor not in reference]
        if missing:
            problems.append(f"guide/{lang}.md lacks sections: {', '.join(missing)}")
        if extra:
            problems.append(f"guide/{lang}.md has sections missing in en.md: {', '.join(extra)}")
    return problems
