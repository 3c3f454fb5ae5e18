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
