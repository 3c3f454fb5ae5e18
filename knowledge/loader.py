"""Typed loading of the provider catalog and the guide.

A stale ``as_of`` is reported as a warning by :func:`stale_entries`; loading never fails on age.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

KNOWLEDGE_DIR = Path(__file__).resolve().parent
CATALOG_DIR = KNOWLEDGE_DIR / "catalog"
GUIDE_DIR = KNOWLEDGE_DIR / "guide"

ProviderName = Literal["openai", "google", "anthropic", "open_weights"]
PROVIDERS: tuple[ProviderName, ...] = ("openai", "google", "anthropic", "open_weights")
GUIDE_LANGS: tuple[str, ...] = ("en", "he")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Sourced(_Strict):
    source: str
    as_of: dt.date


class Price(_Strict):
    input_per_mtok: float = Field(ge=0)
    output_per_mtok: float = Field(ge=0)


class TunedPrice(Price):
    training_per_mtok: float = Field(ge=0)


class ModelEntry(Sourced):
    id: str
    tunable: bool
    tokenizer: str
    context_tokens: int = Field(ge=0)
    max_example_tokens: int = Field(ge=0)
    price: Price | None = None
    tuned_price: TunedPrice | None = None
    tuning_id: str | None = Field(default=None, description="The snapshot name a tuning job takes, when it differs from id.")
    note: str | None = None


class FineTuning(Sourced):
    supported: bool
    status: Literal["available", "winding_down", "unavailable"]
    how: str
    methods: list[str]
    formats: list[str]
    min_examples: int = Field(ge=0)
    recommended_examples: int = Field(ge=0)
    default_model: str | None = None
    alternative: str | None = None
    max_dataset_bytes: int | None = None
    adapter_sizes: list[int] | None = None
    notes: list[str] = Field(default_factory=list)


class Deprecation(Sourced):
    id: str
    what: str
    date: dt.date
    ends_fine_tuning: bool = False


class ProviderEntry(Sourced):
    provider: ProviderName
    display_name: str
    fine_tuning: FineTuning
    deprecations: list[Deprecation]
    models: list[ModelEntry]

    def model(self, model_id: str | None) -> ModelEntry | None:
        """The catalog entry for ``model_id`` (``ft:`` prefixes stripped), else None."""
        wanted = model_id or self.fine_tuning.default_model
        if wanted is None:
            return None
        wanted = wanted.removeprefix("ft:").split(":")[0]
        for entry in self.models:
            if entry.id == wanted:
                return entry
        return None

    def default_model(self) -> ModelEntry | None:
        """The default model to tune, or the first listed model."""
        return self.model(None) or (self.models[0] if self.models else None)

    def fine_tuning_end(self) -> dt.date | None:
        """The date after which no new tuning job can start, if one is announced."""
        ends = [d.date for d in self.deprecations if d.ends_fine_tuning]
        return min(ends) if ends else None

    def can_fine_tune(self, today: dt.date) -> bool:
        """True when a new tuning job can still be started on ``today``."""
        end = self.fine_tuning_end()
        return self.fine_tuning.supported and (end is None or today < end)


class Catalog(_Strict):
    providers: dict[str, ProviderEntry]

    @property
    def as_of(self) -> dt.date:
        """The oldest as_of in the catalog: the catalog is only as fresh as its stalest entry."""
        return min(entry.as_of for entry in self.providers.values())

    def provider(self, name: str) -> ProviderEntry:
        return self.providers[name]


def _read_yaml(path: Path) -> object:
    with path.open(encoding="utf-8") as handle:
        return yaml.safe_load(handle)


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


def stale_entries(catalog: Catalog, today: dt.date, max_age_days: int = 180) -> list[StaleEntry]:
    """Every catalog entry whose ``as_of`` is older than ``max_age_days``."""
    found: list[StaleEntry] = []

    def check(where: str, item: Sourced) -> None:
        age = (today - item.as_of).days
        if age > max_age_days:
            found.append(StaleEntry(where=where, as_of=item.as_of, age_days=age))

    for name, entry in catalog.providers.items():
        check(name, entry)
        check(f"{name}.fine_tuning", entry.fine_tuning)
        for dep in entry.deprecations:
            check(f"{name}.deprecations.{dep.id}", dep)
        for model in entry.models:
            check(f"{name}.models.{model.id}", model)
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
