"""Stored advice survives restarts, on SQLite and on the local PostgreSQL."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import event

from service.advice.repository import AdviceRepository
from service.config import Settings
from service.main import create_app
from service.store.db import Database, make_engine, upgrade
from service.store.models import utcnow
from tests.conftest import TODAY

ROOT = Path(__file__).resolve().parents[3]


def test_advice_survives_a_restart(database_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, database_url=database_url)
    first = create_app(settings, clock=lambda: TODAY)
    with TestClient(first) as client:
        created = client.post("/v1/advice", json={"task": "Answer from the wiki", "needs_external_knowledge": True}).json()
    first.state.database.dispose()

    second = create_app(settings, clock=lambda: TODAY)
    with TestClient(second) as client:
        again = client.get(f"/v1/advice/{created['id']}")
        assert again.status_code == 200
        assert again.json() == created
        assert created["id"] in {item["id"] for item in client.get("/v1/advice", params={"limit": 100}).json()["items"]}
    second.state.database.dispose()


def test_tenants_do_not_see_each_other(database_url: str) -> None:
    database = Database(database_url)
    upgrade(database.engine)
    with database.session() as session:
        advice_id = f"a-{utcnow().timestamp()}"
        values = {
            "id": advice_id,
            "created_at": utcnow(),
            "strategy": "rag",
            "task": "t",
            "profile": {},
            "verdict": {},
            "request": {},
            "artifact": None,
            "rules_version": "v",
            "catalog_as_of": "2026-11-01",
        }
        AdviceRepository(session, "tenant-a").insert(values)
        session.commit()
        assert AdviceRepository(session, "tenant-a").get(advice_id) is not None
        assert AdviceRepository(session, "tenant-b").get(advice_id) is None
        assert advice_id not in {r.id for r in AdviceRepository(session, "tenant-b").page(100, None)[0]}
    database.dispose()


def test_migrations_are_idempotent(database_url: str) -> None:
    database = Database(database_url)
    upgrade(database.engine)
    upgrade(database.engine)
    database.ping()
    database.dispose()


def test_the_head_is_read_from_the_files_as_alembic_reads_it() -> None:
    from alembic.script import ScriptDirectory

    from service.store.db import alembic_config, head_revision

    assert head_revision() == ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_a_database_one_migration_behind_is_upgraded_and_a_current_one_needs_no_alembic(tmp_path: Path) -> None:
    from alembic import command

    from service.store.db import alembic_config, at_head, head_revision

    url = f"sqlite:///{tmp_path / 'behind.db'}"
    database = Database(url)
    with database.engine.begin() as connection:
        config = alembic_config(url)
        config.attributes["connection"] = connection
        command.upgrade(config, f"{head_revision()}-1")
    assert not at_head(database.engine)
    upgrade(database.engine)
    assert at_head(database.engine)
    database.dispose()
    # A process starting on a current database never imports Alembic (~0.2 s of its start-up).
    script = (
        "import sys; from service.store.db import Database, upgrade; "
        f"upgrade(Database({url!r}).engine); print('alembic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.strip() == "False"


def test_sqlite_keeps_the_connections_a_burst_opened(tmp_path: Path) -> None:
    """Ten requests at once, then ten more: the second burst reuses the first's connections. SQLAlchemy's default
    pool kept 5 and closed the rest when handed back, so every burst opened (and set up) new ones."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    opened: list[object] = []
    event.listen(engine, "connect", lambda connection, _record: opened.append(connection))
    try:
        for _ in range(2):
            held = [engine.connect() for _ in range(10)]
            for connection in held:
                connection.exec_driver_sql("SELECT 1")
                connection.close()
    finally:
        engine.dispose()
    assert len(opened) == 10
