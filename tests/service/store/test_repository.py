"""Every domain repository is scoped to one tenant, on SQLite and on PostgreSQL; SQL stays in the repositories."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, MetaData, String, Table

from service.advice.repository import AdviceRepository
from service.auth.repository import ApiKeyRepository
from service.datasets.repository import DatasetRepository, DatasetSystemQueries
from service.questionnaire.repository import QuestionnaireRepository
from service.slack.repository import SlackDeliveryRepository
from service.store.models import DatasetRow, utcnow
from service.store.repository import TenantRepository
from service.tuning_jobs.repository import TuningJobRepository
from tests.service.store.scoped import migrated, new_row, unique

ROOT = Path(__file__).resolve().parents[3]
REPOSITORIES: list[type[TenantRepository[Any]]] = [
    AdviceRepository,
    DatasetRepository,
    TuningJobRepository,
    QuestionnaireRepository,
    SlackDeliveryRepository,
    ApiKeyRepository,
]
# Domains whose data access goes through service/store/repository.py (knowledge_bases is not there yet).
SCOPED_DOMAINS = ["advice", "datasets", "tuning_jobs", "questionnaire", "slack", "auth", "experiments"]
STATEMENT_BUILDERS = {"select", "insert", "update", "delete", "text", "bindparam", "func", "literal_column", "table"}


@pytest.mark.parametrize("repository", REPOSITORIES, ids=lambda r: r.__name__)
def test_a_tenant_never_sees_another_tenants_row(database_url: str, repository: type[TenantRepository[Any]]) -> None:
    a, b, key = unique("tenant-a"), unique("tenant-b"), unique("row")
    with migrated(database_url) as database:
        with database.session() as session:
            repository(session, a).add(new_row(repository.row, key))
            session.commit()
        with database.session() as session:
            mine, theirs = repository(session, a), repository(session, b)
            assert getattr(mine.get(key), "tenant_id", None) == a
            assert theirs.get(key) is None
            assert theirs.rows() == []
            assert [getattr(row, mine.key) for row in mine.rows()] == [key]
            assert theirs._core_one(key) is None
            assert theirs.delete(key) is False
            session.commit()
        with database.session() as session:
            assert repository(session, a).get(key) is not None, "tenant B's delete removed tenant A's row"
            assert repository(session, a).delete(key) is True
            session.commit()
        with database.session() as session:
            assert repository(session, a).get(key) is None


def test_an_update_through_another_tenant_changes_nothing(database_url: str) -> None:
    a, b, key = unique("tenant-a"), unique("tenant-b"), unique("session")
    with migrated(database_url) as database, database.session() as session:
        QuestionnaireRepository(session, a).add(new_row(QuestionnaireRepository.row, key))
        session.commit()
        read = QuestionnaireRepository(session, a).load(key)
        assert read is not None
        stolen = {"status": "done", "advice_id": "stolen", "updated_at": utcnow()}
        assert not QuestionnaireRepository(session, b).save_if(key, stolen, read["updated_at"])
        session.commit()
        stored = QuestionnaireRepository(session, a).load(key)
        assert stored is not None and (stored["status"], stored["advice_id"]) == ("asking", None)


@pytest.mark.parametrize("tenant", ["", "   ", None])
def test_a_repository_cannot_be_built_without_a_tenant(tenant: Any) -> None:
    with pytest.raises(ValueError, match="needs the tenant"):
        DatasetRepository(None, tenant)  # type: ignore[arg-type]


def test_a_repository_refuses_a_row_of_another_tenant(database_url: str) -> None:
    with migrated(database_url) as database, database.session() as session:
        row = new_row(DatasetRow, unique("ds"))
        row.tenant_id = "someone-else"
        with pytest.raises(ValueError, match="cannot add a row of 'someone-else'"):
            DatasetRepository(session, "mine").add(row)


def test_a_table_without_a_tenant_column_cannot_have_a_repository() -> None:
    class Unscoped:
        __table__ = Table("unscoped", MetaData(), Column("id", String, primary_key=True))

    with pytest.raises(TypeError, match="needs a tenant_id"):
        type("UnscopedRepository", (TenantRepository,), {"row": Unscoped})


def test_system_queries_span_tenants_by_name(database_url: str) -> None:
    a, b = unique("tenant-a"), unique("tenant-b")
    with migrated(database_url) as database, database.session() as session:
        first, second = new_row(DatasetRow, unique("ds")), new_row(DatasetRow, unique("ds"))
        DatasetRepository(session, a).add(first)
        DatasetRepository(session, b).add(second)
        session.commit()
        folders = DatasetSystemQueries(session).all_tenants_upload_folders()
        assert {first.id, second.id} <= set(folders)


def _imported_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "sqlalchemy":
            names |= {alias.name for alias in node.names} | ({"*"} if node.module.startswith("sqlalchemy.sql") else set())
        elif isinstance(node, ast.Import):
            names |= {"*" for alias in node.names if alias.name.split(".")[0] == "sqlalchemy"}
    return names


@pytest.mark.parametrize("domain", SCOPED_DOMAINS)
def test_domains_build_no_statement_outside_the_scoped_base(domain: str) -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(found)
        for path in sorted((ROOT / "service" / domain).rglob("*.py"))
        if (found := _imported_names(path) & (STATEMENT_BUILDERS | {"*"}))
    }
    assert offenders == {}, "build queries with TenantRepository._select/_update/_delete (or SystemQueries)"
