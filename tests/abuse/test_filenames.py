"""Upload file names: safe on disk by byte length, the name the client sent kept for display, on both databases.

Before: a name over 255 bytes of UTF-8 (199 Hebrew letters, 100 emoji, 300 ASCII characters on the documents
route) was a 500 (ENAMETOOLONG), as was a NUL byte (see test_stored_text.py).
"""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from sqlalchemy import select

from service.store.models import DatasetRow, JobRow
from tests.abuse.conftest import Live, multipart

LINE = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'
NAME_MAX = 255  # bytes per name on ext4, XFS and most file systems

LONG_NAMES = [
    pytest.param("א" * 199, id="199-hebrew-letters"),
    pytest.param("😀" * 100, id="100-emoji"),
    pytest.param("a" * 300, id="300-ascii"),
    pytest.param("..\\..\\" + "b" * 260, id="windows-path-and-long"),
]


def _stored(path: str) -> Path:
    stored = Path(path)
    assert stored.is_file()
    for part in stored.parts:
        assert len(part.encode("utf-8")) <= NAME_MAX, part
    return stored


@pytest.mark.parametrize("stem", LONG_NAMES)
def test_a_long_dataset_file_name_is_stored_safely_and_shown_as_sent(live_db: Live, stem: str) -> None:
    name = f"{stem}.jsonl"
    body, headers = multipart([("file", name.encode(), LINE)], {"provider": "openai"})
    response = live_db.api("POST", "/v1/datasets", content=body, headers=headers)
    assert response.status_code == 201, response.text
    shown = response.json()["filename"]
    sent = name.replace("\\", "/").rsplit("/", 1)[-1]
    if len(sent) <= 255:
        assert shown == sent  # the Hebrew and emoji names are kept exactly
    else:
        assert len(shown) == 255 and shown.endswith("….jsonl") and sent.startswith(shown[:-7])
    assert live_db.api("GET", f"/v1/datasets/{response.json()['id']}").json()["filename"] == shown
    with live_db.app.state.database.session() as session:
        row = session.scalars(select(DatasetRow).where(DatasetRow.id == response.json()["id"])).one()
    stored = _stored(row.path)
    assert stored.suffix == ".jsonl" and stored.is_relative_to(live_db.app.state.settings.data_dir / "datasets")


def test_a_path_in_a_file_name_never_leaves_the_upload_folder(live: Live) -> None:
    body, headers = multipart([("file", b"../../../../tmp/escape.jsonl", LINE)], {"provider": "openai"})
    response = live.api("POST", "/v1/datasets", content=body, headers=headers)
    assert response.status_code == 201 and response.json()["filename"] == "escape.jsonl"
    with live.app.state.database.session() as session:
        row = session.scalars(select(DatasetRow).where(DatasetRow.id == response.json()["id"])).one()
    assert _stored(row.path).parent.parent == live.app.state.settings.data_dir / "datasets"


@pytest.mark.parametrize("stem", LONG_NAMES)
def test_a_long_document_file_name_is_accepted_for_ingestion(live_db: Live, stem: str) -> None:
    kb = f"kb-{uuid.uuid4().hex[:8]}"
    assert live_db.api("POST", "/v1/knowledge-bases", json={"name": kb}).status_code == 201
    name = f"{stem}.md"
    body, headers = multipart([("files", name.encode(), b"# Title\n\nSome text."), ("files", b"short.md", b"# B\n\nMore.")])
    response = live_db.api("POST", f"/v1/knowledge-bases/{kb}/documents", content=body, headers=headers)
    assert response.status_code == 202, response.text
    with live_db.app.state.database.session() as session:
        job = session.scalars(select(JobRow).where(JobRow.id == response.json()["id"])).one()
    files = job.payload["files"]
    sent = name.replace("\\", "/").rsplit("/", 1)[-1]
    if len(sent) <= 255:
        assert files[0]["filename"] == sent  # the document's name (its doc_id and citation) is the one sent
    else:
        assert len(files[0]["filename"]) == 255 and files[0]["filename"].endswith("….md")
    for stored in files:
        _stored(stored["path"])
