"""Start-up sweep of upload folders that no row names: old ones go, recent and recorded ones stay."""

from __future__ import annotations

import os
import time
from pathlib import Path

from service.config import Settings
from service.main import create_app
from service.store.models import JobRow, utcnow

SEVEN_HOURS = 7 * 3600


def _folder(root: Path, name: str, age_seconds: float) -> Path:
    folder = root / name
    folder.mkdir(parents=True)
    (folder / "0000-doc.md").write_text("# A document\n")
    past = time.time() - age_seconds
    for path in (folder / "0000-doc.md", folder):
        os.utime(path, (past, past))
    return folder


def test_knowledge_base_uploads_without_a_job_are_swept_when_old(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    app = create_app(settings)  # creates the tables
    with app.state.database.session() as session:
        now = utcnow()
        session.add(
            JobRow(
                id="job-kept",
                tenant_id="default",
                kind="ingest",
                kb_id=None,
                state="queued",
                payload={},
                created_at=now,
                updated_at=now,
            )
        )
        session.commit()
    app.state.database.dispose()
    root = settings.data_dir / "kb_uploads"
    recorded = _folder(root, "job-kept", SEVEN_HOURS)
    in_flight = _folder(root, "job-writing-now", 60)
    orphan = _folder(root, "job-never-recorded", SEVEN_HOURS)

    restarted = create_app(settings)
    restarted.state.database.dispose()

    assert recorded.is_dir() and in_flight.is_dir()
    assert not orphan.exists()
