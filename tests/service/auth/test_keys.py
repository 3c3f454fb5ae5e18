"""API keys: stored as hashes, required on /v1 when auth is on, refused when unknown or revoked."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from service.auth.service import KeyVerifier, issue, list_keys, revoke
from service.config import Settings
from service.deps import TenantDep
from service.errors import ValidationFailed
from service.store.db import Database, upgrade
from service.store.models import ApiKeyRow
from tests.service.auth.conftest import auth_app, bearer, new_key

PROFILE = {"task": "Label support tickets", "narrow_task": True, "examples": 5000, "example_quality": "high"}


@pytest.fixture
def database(tmp_path: Path) -> Database:
    database = Database(f"sqlite:///{tmp_path / 'keys.db'}")
    upgrade(database.engine)
    return database


def test_only_a_hash_of_the_key_is_stored(database: Database) -> None:
    with database.session() as session:
        issued = issue(session, "acme", "ci")
        row = session.scalars(select(ApiKeyRow)).one()
        listed = list_keys(session)
    scheme, prefix, secret = issued.key.split("_", 2)
    assert (scheme, prefix) == ("adv", issued.prefix) and len(secret) >= 43
    assert row.prefix == issued.prefix and row.tenant_id == "acme" and row.name == "ci"
    assert secret not in row.key_hash and issued.key not in row.key_hash
    assert row.key_hash.startswith("sha256$")
    assert [(k.prefix, k.tenant, k.revoked_at) for k in listed] == [(issued.prefix, "acme", None)]
    assert issued.key not in repr(listed)


def test_tenant_names_are_checked(database: Database) -> None:
    with database.session() as session, pytest.raises(ValidationFailed, match="tenant is 1-64"):
        issue(session, "acme/../other")


def test_a_revoked_key_stops_working_when_its_cache_entry_expires(database: Database) -> None:
    now = [1000.0]
    verifier = KeyVerifier(database, ttl=30, clock=lambda: now[0])
    with database.session() as session:
        issued = issue(session, "acme")
    assert asyncio.run(verifier.tenant_of(issued.key)) == "acme"
    with database.session() as session:
        revoke(session, issued.prefix)
    now[0] += 29
    assert asyncio.run(verifier.tenant_of(issued.key)) == "acme"  # cached: the documented revocation delay
    now[0] += 2
    assert asyncio.run(verifier.tenant_of(issued.key)) is None
    verifier.forget(issued.prefix)
    assert asyncio.run(verifier.tenant_of(issued.key)) is None


def test_a_key_with_the_right_prefix_and_a_wrong_secret_is_refused(database: Database) -> None:
    verifier = KeyVerifier(database)
    with database.session() as session:
        issued = issue(session, "acme")
    forged = issued.key[:-4] + ("AAAA" if not issued.key.endswith("AAAA") else "BBBB")
    assert asyncio.run(verifier.tenant_of(forged)) is None
    assert asyncio.run(verifier.tenant_of(issued.key)) == "acme"
    assert asyncio.run(verifier.tenant_of("adv_nothex_x")) is None


def test_routes_need_a_key_and_say_which_problem(secured: TestClient) -> None:
    issued = new_key(secured.app, "acme")  # type: ignore[arg-type]
    missing = secured.get("/v1/advice")
    assert missing.status_code == 401
    assert missing.headers["content-type"] == "application/problem+json"
    assert missing.headers["www-authenticate"] == "Bearer"
    assert missing.json()["code"] == "missing_api_key"
    basic = secured.get("/v1/advice", headers={"Authorization": "Basic dXNlcjpwYXNz"})
    assert basic.status_code == 401 and basic.json()["code"] == "missing_api_key"
    for token in ("nonsense", issued.key + "x", "adv_000000000000_" + "A" * 43):
        invalid = secured.get("/v1/advice", headers=bearer(token))
        assert invalid.status_code == 401, token
        assert invalid.json()["code"] == "invalid_api_key"
        assert invalid.headers["www-authenticate"].startswith("Bearer")
    created = secured.post("/v1/advice", json=PROFILE, headers=bearer(issued))
    assert created.status_code == 201
    assert secured.get(f"/v1/advice/{created.json()['id']}", headers=bearer(issued)).status_code == 200


def test_probes_docs_and_schema_stay_open(secured: TestClient) -> None:
    for path in ("/healthz", "/readyz", "/openapi.json", "/docs"):
        assert secured.get(path).status_code == 200, path
    assert secured.get("/").status_code != 401


def test_the_schema_documents_the_bearer_scheme_and_401(secured: TestClient) -> None:
    schema = secured.get("/openapi.json").json()
    assert schema["components"]["securitySchemes"]["apiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key from `advisor keys create --tenant <tenant>`.",
    }
    operations = [(path, op) for path, ops in schema["paths"].items() if path.startswith("/v1") for op in ops.values()]
    assert operations
    assert all(op["security"] == [{"apiKey": []}] and "401" in op["responses"] for _, op in operations)
    assert "security" not in schema["paths"]["/healthz"]["get"]


def test_a_key_revoked_elsewhere_is_refused_by_a_new_process(tmp_path: Path) -> None:
    first = auth_app(tmp_path / "data")
    issued = new_key(first, "acme")
    with TestClient(first) as client:
        assert client.get("/v1/advice", headers=bearer(issued)).status_code == 200
    with first.state.database.session() as session:
        revoke(session, issued.key)  # the whole key works as well as its prefix
    first.state.database.dispose()
    second = auth_app(tmp_path / "data")
    with TestClient(second) as client:
        refused = client.get("/v1/advice", headers=bearer(issued))
    second.state.database.dispose()
    assert refused.status_code == 401 and refused.json()["code"] == "invalid_api_key"


def test_a_tenant_route_outside_v1_fails_closed(tmp_path: Path) -> None:
    app = auth_app(tmp_path / "data")

    @app.get("/elsewhere")
    async def elsewhere(tenant: TenantDep) -> dict[str, str]:
        return {"tenant": tenant}

    issued = new_key(app, "acme")
    with TestClient(app) as client:
        assert client.get("/elsewhere").json()["code"] == "missing_api_key"
        assert client.get("/elsewhere", headers=bearer(issued)).json() == {"tenant": "acme"}
    app.state.database.dispose()


def test_open_mode_needs_no_key_and_documents_none(client: TestClient) -> None:
    assert client.get("/v1/advice").status_code == 200
    assert "securitySchemes" not in client.get("/openapi.json").json().get("components", {})


@pytest.mark.parametrize(
    ("host", "auth", "enabled"),
    [("127.0.0.1", "auto", False), ("localhost", "auto", False), ("0.0.0.0", "auto", True), ("10.0.0.5", "auto", True),
     ("0.0.0.0", "off", False), ("127.0.0.1", "on", True)],
)  # fmt: skip
def test_auth_follows_the_host(host: str, auth: str, enabled: bool) -> None:
    assert Settings(host=host, auth=auth).auth_enabled is enabled  # type: ignore[arg-type]
