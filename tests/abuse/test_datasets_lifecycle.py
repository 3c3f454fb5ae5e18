"""Datasets have a life cycle: listed (tenant-scoped, paged), deleted, and swept when abandoned.

Before: datasets had no list and no DELETE, so an upload whose client never learned its id stayed on disk
forever. Now GET /v1/datasets pages a tenant's own datasets, DELETE removes the row and the folder (404 for
another tenant's), and datasets no tuning job names are deleted ADVISOR_DATASET_TTL_HOURS after upload: at
start-up, hourly in the server, and by `advisor data sweep`. On SQLite and on PostgreSQL + Redis.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from service.config import get_settings
from service.datasets.cli import data_app
from service.datasets.service import sweep_abandoned
from service.store.models import DatasetRow, TuningJobRow, utcnow
from tests.abuse.conftest import Backend, Live, as_new_tenant, assert_problem, live_server, other_tenant_key

LINE = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'


def upload(live: Live, name: str = "data.jsonl", headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = live.api(
        "POST", "/v1/datasets", files={"file": (name, LINE * 3)}, data={"provider": "openai"}, headers=headers or {}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def folder_of(live: Live, dataset_id: str) -> Path:
    with live.app.state.database.session() as session:
        row = session.get(DatasetRow, dataset_id)
        assert row is not None
        return Path(row.path).parent


def age(live: Live, dataset_id: str, hours: float) -> None:
    with live.app.state.database.session() as session:
        row = session.get(DatasetRow, dataset_id)
        assert row is not None
        row.created_at = utcnow() - dt.timedelta(hours=hours)
        session.commit()


def use_in_tuning_job(live: Live, dataset_id: str) -> None:
    with live.app.state.database.session() as session:
        row = session.get(DatasetRow, dataset_id)
        assert row is not None
        job = TuningJobRow(
            id=str(uuid.uuid4()), tenant_id=row.tenant_id, dataset_id=dataset_id, provider="openai", status="draft", spec={}
        )
        session.add(job)
        session.commit()


def test_list_is_paged_newest_first_and_scoped_to_the_tenant(live_db: Live) -> None:
    live = as_new_tenant(live_db)
    ids = [upload(live, f"set-{i}.jsonl")["id"] for i in range(5)]
    theirs = upload(live, "theirs.jsonl", other_tenant_key(live))["id"]
    seen: list[str] = []
    cursor: str | None = None
    for _ in range(3):
        page = live.api("GET", "/v1/datasets", params={"limit": 2, **({"cursor": cursor} if cursor else {})}).json()
        assert "report" not in page["items"][0] and page["items"][0]["filename"].startswith("set-")
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == ids[::-1] and cursor is None
    assert theirs not in seen
    assert theirs in [item["id"] for item in live.api("GET", "/v1/datasets", headers=other_tenant_key(live)).json()["items"]]


def test_delete_removes_the_file_and_the_row_and_only_the_owners(live_db: Live) -> None:
    live = live_db
    mine, theirs = upload(live)["id"], upload(live, headers=other_tenant_key(live))["id"]
    folder = folder_of(live, mine)
    assert live.api("POST", f"/v1/datasets/{mine}/convert", json={"to": "openai_chat"}).status_code == 200
    assert folder.is_dir()
    assert_problem(live.api("DELETE", f"/v1/datasets/{theirs}"), 404, "dataset_not_found")
    assert folder_of(live, theirs).is_dir()  # untouched

    response = live.api("DELETE", f"/v1/datasets/{mine}")
    assert response.status_code == 204 and response.content == b""
    assert not folder.exists()  # the upload and its conversions
    assert_problem(live.api("GET", f"/v1/datasets/{mine}"), 404, "dataset_not_found")
    assert_problem(live.api("DELETE", f"/v1/datasets/{mine}"), 404, "dataset_not_found")
    assert mine not in [item["id"] for item in live.api("GET", "/v1/datasets").json()["items"]]


def test_sweep_deletes_only_old_datasets_no_tuning_job_uses(live_db: Live) -> None:
    live = live_db
    old, used, young = (upload(live)["id"] for _ in range(3))
    folders = {dataset_id: folder_of(live, dataset_id) for dataset_id in (old, used, young)}
    age(live, old, 200)
    age(live, used, 200)
    use_in_tuning_job(live, used)
    now, database = utcnow(), live.app.state.database
    # The sweep spans tenants (and, on the shared PostgreSQL schema, other tests' datasets): check ours only, and
    # never move the clock forward, which would sweep datasets other tests still use.
    assert old not in sweep_abandoned(database, 168, now=now - dt.timedelta(hours=48))  # 152 hours old then
    assert sweep_abandoned(database, 0, now=now) == []  # 0 keeps everything
    swept = sweep_abandoned(database, 168, now=now)
    assert old in swept and used not in swept and young not in swept
    assert not folders[old].exists() and folders[used].is_dir() and folders[young].is_dir()
    assert_problem(live.api("GET", f"/v1/datasets/{old}"), 404, "dataset_not_found")
    age(live, young, 169)  # the young one goes once its TTL has passed
    swept = sweep_abandoned(database, 168, now=now)
    assert young in swept and used not in swept and not folders[young].exists()
    assert live.api("GET", f"/v1/datasets/{used}").status_code == 200 and folders[used].is_dir()


def test_abandoned_uploads_are_swept_at_start_up(tmp_path: Path, backend: Backend) -> None:
    data_dir = tmp_path / "data"
    with live_server(data_dir, backend) as live:
        old, kept = upload(live)["id"], upload(live)["id"]
        folder = folder_of(live, old)
        age(live, old, 24 * 8)
    with live_server(data_dir, backend, dataset_ttl_hours=168) as live:
        assert_problem(live.api("GET", f"/v1/datasets/{old}"), 404, "dataset_not_found")
        assert not folder.exists()
        assert live.api("GET", f"/v1/datasets/{kept}").status_code == 200


def test_advisor_data_sweep(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data_dir = tmp_path / "data"
    with live_server(data_dir) as live:
        old, kept = upload(live)["id"], upload(live)["id"]
        age(live, old, 30)
    monkeypatch.setenv("ADVISOR_DATA_DIR", str(data_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(data_app, ["sweep", "--ttl-hours", "24"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "deleted 1 unused dataset" in result.stdout
    with live_server(data_dir, dataset_ttl_hours=0) as live:
        assert live.api("GET", f"/v1/datasets/{old}").status_code == 404
        assert live.api("GET", f"/v1/datasets/{kept}").status_code == 200
