"""The knowledge check: what in the catalog is wrong, stale or about to change on a given day.

``knowledge_report(catalog, today)`` looks at lifecycles, not only at the age of ``as_of``:
models past shutdown that something still names, defaults that do not work today, facts not
re-read for 60 days, lifecycle dates within 90 days, models the installed SDKs no longer list,
and a guide whose generated lifecycle block disagrees with the catalog.
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Literal

from knowledge.guide_facts import ALLOWED_RETIRED_SECTIONS, guide_lifecycle_problems
from knowledge.loader import GUIDE_DIR, GUIDE_LANGS, Catalog, ModelEntry, ProviderEntry, load_guide, sourced_facts, stale_entries
from knowledge.schema import PURPOSES

Code = Literal[
    "past_shutdown_referenced",
    "default_unavailable",
    "no_default",
    "stale",
    "date_soon",
    "not_in_sdk",
    "guide_out_of_date",
    "sdk_unreadable",
    "unverified",
]
# Findings that make `--strict` fail; the others are listed for the reader.
STRICT_CODES: frozenset[Code] = frozenset(
    {"past_shutdown_referenced", "default_unavailable", "no_default", "stale", "date_soon", "not_in_sdk", "guide_out_of_date"}
)
STALE_DAYS = 60
SOON_DAYS = 90


@dataclass(frozen=True)
class Finding:
    code: Code
    where: str
    message: str
    date: dt.date | None = None


@dataclass(frozen=True)
class KnowledgeReport:
    today: dt.date
    findings: list[Finding] = field(default_factory=list)

    def count(self, code: Code) -> int:
        return sum(1 for f in self.findings if f.code == code)

    def failing(self) -> list[Finding]:
        return [f for f in self.findings if f.code in STRICT_CODES]

    def exit_code(self, strict: bool) -> int:
        """0, or 1 under ``strict`` when any finding that strict mode counts is present."""
        return 1 if strict and self.failing() else 0

    def lines(self) -> list[str]:
        """One line per finding, strict ones first, then a summary line."""
        ordered = sorted(self.findings, key=lambda f: (f.code not in STRICT_CODES, f.code, f.where))
        out = [f"{'warning' if f.code in STRICT_CODES else 'note'}: [{f.code}] {f.where}: {f.message}" for f in ordered]
        out.append(f"{len(self.failing())} findings that --strict counts, {len(self.findings) - len(self.failing())} notes")
        return out


def _mentions(model: ModelEntry) -> re.Pattern[str]:
    names = sorted({model.id, *([model.tuning_id] if model.tuning_id else [])}, key=len, reverse=True)
    # "gemini-2.5-flash" must not match inside "gemini-2.5-flash-lite", nor "gpt-4.1" inside "gpt-4.1-mini".
    return re.compile(r"(?<![\w.\-/])(?:" + "|".join(re.escape(n) for n in names) + r")(?![\w.\-])")


def _guide_texts(directory: Path) -> Iterator[tuple[str, str]]:
    for lang in GUIDE_LANGS:
        for anchor, section in load_guide(lang, directory).sections.items():
            if anchor not in ALLOWED_RETIRED_SECTIONS:
                yield f"guide/{lang}.md#{anchor}", section.body


def _past_shutdown(catalog: Catalog, today: dt.date, texts: Mapping[str, str]) -> Iterator[Finding]:
    retired = [(p, m) for p in catalog.providers.values() for m in p.models if not m.available_on(today) and m.lifecycle.shutdown]
    for provider, model in retired:
        pattern = _mentions(model)
        for other in catalog.providers.values():
            for entry in other.models:
                if entry.lifecycle.replacement and pattern.fullmatch(entry.lifecycle.replacement):
                    yield Finding(
                        "past_shutdown_referenced",
                        f"{other.provider}.models.{entry.id}.lifecycle.replacement",
                        f"names {model.id}, shut down {model.lifecycle.shutdown}",
                        model.lifecycle.shutdown,
                    )
            if other.fine_tuning.default_model and pattern.fullmatch(other.fine_tuning.default_model):
                yield Finding(
                    "past_shutdown_referenced",
                    f"{other.provider}.fine_tuning.default_model",
                    f"names {model.id}, shut down {model.lifecycle.shutdown}",
                    model.lifecycle.shutdown,
                )
        for where, text in texts.items():
            if pattern.search(text):
                yield Finding(
                    "past_shutdown_referenced",
                    where,
                    f"names {provider.provider}'s {model.id}, shut down {model.lifecycle.shutdown}",
                    model.lifecycle.shutdown,
                )


def _defaults(catalog: Catalog, today: dt.date, declared: Mapping[str, str]) -> Iterator[Finding]:
    for entry in catalog.providers.values():
        for purpose in PURPOSES:
            if purpose == "tuning" and not entry.fine_tuning.supported:
                continue
            if entry.default_for(purpose, today) is None:
                reason = "no new tuning job can start" if purpose == "tuning" else "no model is available"
                yield Finding("no_default", f"{entry.provider}.{purpose}", f"no default on {today}: {reason}")
        if entry.fine_tuning.default_model:
            declared = {**declared, f"{entry.provider}.fine_tuning.default_model": entry.fine_tuning.default_model}
    for where, model_id in declared.items():
        found = next((m for p in catalog.providers.values() if (m := p.model(model_id, today)) is not None), None)
        if found is None:
            yield Finding("default_unavailable", where, f"{model_id} is not in the catalog")
        elif not found.available_on(today):
            yield Finding("default_unavailable", where, f"{model_id} is not available on {today}", found.lifecycle.shutdown)


def _dates_soon(catalog: Catalog, today: dt.date, days: int) -> Iterator[Finding]:
    horizon = today + dt.timedelta(days=days)

    def soon(where: str, label: str, day: dt.date | None) -> Iterator[Finding]:
        if day is not None and today <= day <= horizon:
            yield Finding("date_soon", where, f"{label} on {day} ({(day - today).days} days)", day)

    for entry in catalog.providers.values():
        for dep in entry.deprecations:
            yield from soon(f"{entry.provider}.deprecations.{dep.id}", dep.what, dep.date)
        for model in entry.models:
            life, where = model.lifecycle, f"{entry.provider}.models.{model.id}"
            yield from soon(where, "deprecated", life.deprecated)
            yield from soon(where, "shuts down" + (" with its fine-tunes" if life.fine_tunes_shut_down else ""), life.shutdown)
            if life.tuning is not None:
                yield from soon(where, "tuning opens", life.tuning.available_from)
                yield from soon(where, "tuning closes", life.tuning.available_until)


def sdk_model_ids(spec: str) -> frozenset[str] | None:
    """The model ids an installed SDK lists, from '<distribution>:<path>:<name>'; None when unreadable.

    The file is parsed, not imported: only service.providers may import the provider SDKs.
    """
    dist, path, name = spec.split(":")
    try:
        source = Path(str(metadata.distribution(dist).locate_file(path))).read_text(encoding="utf-8")
    except (metadata.PackageNotFoundError, OSError):
        return None
    for node in ast.walk(ast.parse(source)):
        target: ast.expr
        value: ast.expr | None
        if isinstance(node, ast.AnnAssign):
            target, value = node.target, node.value
        elif isinstance(node, ast.Assign):
            target, value = node.targets[0], node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id == name and value is not None:
            return frozenset(c.value for c in ast.walk(value) if isinstance(c, ast.Constant) and isinstance(c.value, str))
    return None


def _sdk(entry: ProviderEntry, today: dt.date) -> Iterator[Finding]:
    if entry.sdk_models is None:
        return
    listed = sdk_model_ids(entry.sdk_models)
    if listed is None:
        yield Finding("sdk_unreadable", entry.provider, f"cannot read the model list {entry.sdk_models}")
        return
    for model in entry.models:
        if model.available_on(today) and model.id not in listed:
            yield Finding(
                "not_in_sdk", f"{entry.provider}.models.{model.id}", f"the installed SDK ({entry.sdk_models}) does not list it"
            )


def knowledge_report(
    catalog: Catalog,
    today: dt.date,
    *,
    guide_dir: Path = GUIDE_DIR,
    texts: Mapping[str, str] | None = None,
    declared_defaults: Mapping[str, str] | None = None,
    check_sdks: bool = True,
) -> KnowledgeReport:
    """Every finding about ``catalog`` on ``today``.

    ``texts`` (where -> text, e.g. snippets) and ``declared_defaults`` (where -> model id, e.g. a
    hard-coded default in service code) are checked along with the guide and the catalog itself.
    """
    all_texts = dict(_guide_texts(guide_dir))
    all_texts.update(texts or {})
    findings = list(_past_shutdown(catalog, today, all_texts))
    findings += _defaults(catalog, today, declared_defaults or {})
    findings += [
        Finding("stale", s.where, f"as_of {s.as_of} is {s.age_days} days old; re-read its source", s.as_of)
        for s in stale_entries(catalog, today, STALE_DAYS)
    ]
    findings += _dates_soon(catalog, today, SOON_DAYS)
    if check_sdks:
        for entry in catalog.providers.values():
            findings += _sdk(entry, today)
    findings += [Finding("guide_out_of_date", where, problem) for where, problem in guide_lifecycle_problems(catalog, guide_dir)]
    findings += [
        Finding("unverified", where, fact.note or "not confirmed on a page we could read", fact.as_of)
        for where, fact in sourced_facts(catalog)
        if not fact.verified
    ]
    return KnowledgeReport(today=today, findings=findings)
