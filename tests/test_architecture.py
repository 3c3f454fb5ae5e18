"""Dependencies point one way (service -> rules -> knowledge) and SDKs stay behind service/providers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold() -> None:
    lint_imports = Path(sys.executable).parent / "lint-imports"
    result = subprocess.run([str(lint_imports)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_rules_doc_is_generated_from_the_rules() -> None:
    script = ROOT / "scripts" / "gen_rules_doc.py"
    result = subprocess.run(
        [sys.executable, str(script), "--check"], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, "docs/rules.md is stale: run scripts/gen_rules_doc.py\n" + result.stdout + result.stderr


MAX_MODULE_LINES = 300  # a module a maintainer can read in one sitting; split by concept beyond it


def test_no_shipped_module_is_longer_than_a_sitting() -> None:
    long = {
        str(path.relative_to(ROOT)): lines
        for package in ("service", "rules", "knowledge")
        for path in (ROOT / package).rglob("*.py")
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not long, f"modules over {MAX_MODULE_LINES} lines (split them by concept): {long}"


def test_every_service_package_is_placed_in_the_layers() -> None:
    """A new package under service/ must be placed in the layers contract, or its imports go unchecked."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    contract = text[text.index('name = "Inside service') :]
    layers = contract[contract.index("layers = [") : contract.index("]", contract.index("layers = ["))]
    named = {
        part.strip().strip('",').split(".")[0] for line in layers.splitlines()[1:] for part in line.replace(":", "|").split("|")
    }
    packages = {p.name for p in (ROOT / "service").iterdir() if (p / "__init__.py").exists()} - {"api", "ops", "worker"}
    modules = {p.stem for p in (ROOT / "service").glob("*.py")} - {"__init__"}
    assert (packages | modules) - named == set()
