"""Upload folders a killed process wrote but never recorded, removed at start-up once they are old.

Datasets and knowledge-base uploads are written to disk before their row is committed (an accepted upload
is never lost), so a process killed in between leaves a folder that no row names. API processes sharing a
data dir may have an upload in flight, so only folders unchanged for a long time are removed.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterable
from pathlib import Path

ORPHAN_AFTER_SECONDS = 6 * 3600  # far longer than any upload takes to write and validate


def remove_stale_folders(root: Path, known: Iterable[str], older_than: float = ORPHAN_AFTER_SECONDS) -> list[Path]:
    """Remove the folders under ``root`` whose name is not in ``known`` and that nothing changed in lately."""
    if not root.is_dir():
        return []
    names = set(known)
    cutoff = time.time() - older_than
    removed: list[Path] = []
    for folder in root.iterdir():
        if folder.is_dir() and folder.name not in names and _last_change(folder) < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _last_change(folder: Path) -> float:
    times = [folder.stat().st_mtime]
    times += [path.stat().st_mtime for path in folder.rglob("*")]
    return max(times)
