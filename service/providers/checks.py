"""What the knowledge check reads from the service: every snippet it can hand out, and every default it uses.

``advisor knowledge check`` passes these to ``knowledge.checks.knowledge_report`` so a template, a rendered
snippet or a line of service code that still names a shut-down model is reported, like the guide is.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from knowledge.loader import PURPOSES, Catalog, default_catalog
from service.providers.base import TEMPLATES
from service.providers.registry import all_providers

SERVICE = Path(__file__).resolve().parents[1]


def declared_defaults(today: dt.date, catalog: Catalog | None = None) -> dict[str, str]:
    """Every default the providers hand out on ``today``: where -> model id."""
    found: dict[str, str] = {}
    for provider in all_providers(catalog):
        for purpose in PURPOSES:
            model = provider.default_model(purpose, today, catalog)
            if model is not None:
                found[f"service.providers.{provider.name}.default_model({purpose})"] = model.id
    return found


def rendered_snippets(today: dt.date, catalog: Catalog | None = None) -> dict[str, str]:
    """Each provider's snippets rendered with its defaults on ``today``: where -> text."""
    texts: dict[str, str] = {}
    for provider in all_providers(catalog):
        where = f"snippet:{provider.name}"
        prompting = provider.default_model("prompting", today, catalog)
        if prompting is not None:
            request: dict[str, object] = {"messages": [{"role": "user", "content": "{{input}}"}]}
            if provider.shape == "google":
                request = {"systemInstruction": {"parts": [{"text": "x"}]}, "contents": []}
            texts[f"{where}/run.py"] = provider.prompt_script(
                "run", model=prompting.id, request=request, state_fields=[], schema=None
            )
            texts[f"{where}/grounded.py"] = provider.grounded_snippet(prompting.id, system="x", messages=[], contents=[])
        tuning = provider.default_model("tuning", today, catalog)
        plan = provider.tuning_plan(tuning.id, 100, 3, catalog) if tuning is not None else None
        if plan is not None:
            texts[f"{where}/tuning"] = plan.snippet
            texts.update({f"{where}/{name}": text for name, text in plan.files.items()})
        if fallback := provider.no_tuning_snippet(today, catalog):
            texts[f"{where}/no_tuning.py"] = fallback
    return texts


def source_texts() -> dict[str, str]:
    """The templates as written and the service's own code (a model id typed into either is caught)."""
    texts = {
        f"service/providers/templates/{p.relative_to(TEMPLATES)}": p.read_text(encoding="utf-8") for p in TEMPLATES.rglob("*.j2")
    }
    for path in sorted(SERVICE.rglob("*.py")):
        texts[str(path.relative_to(SERVICE.parent))] = path.read_text(encoding="utf-8")
    return texts


def service_texts(today: dt.date, catalog: Catalog | None = None) -> dict[str, str]:
    """Everything the knowledge check should read besides the guide and the catalog."""
    catalog = catalog or default_catalog()
    return {**source_texts(), **rendered_snippets(today, catalog)}
