"""Rules, guide and health endpoints."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_rules_list_and_one(client: TestClient) -> None:
    rules = client.get("/v1/rules").json()
    ids = {rule["id"] for rule in rules}
    assert {"private-knowledge-needs-retrieval", "too-little-data", "provider-cannot-fine-tune"} <= ids
    one = client.get("/v1/rules/too-little-data").json()
    assert one["guide"] == "s4-quantity"
    assert one["cases"]["must_fire"] and one["cases"]["must_not_fire"]
    assert client.get("/v1/rules/nope").json()["code"] == "rule_not_found"


def test_the_measured_reason_is_listed_with_the_rules(client: TestClient) -> None:
    listed = client.get("/v1/rules").json()
    assert listed[-1]["id"] == "measured" and [rule["id"] for rule in listed].count("measured") == 1
    measured = client.get("/v1/rules/measured", params={"lang": "he"}).json()
    assert measured["title"] == "נמדד על סט ההערכה שלכם" and measured["guide"] == "s6-evaluation"
    assert measured["when"] == {"experiment_id": {"ne": None}} and len(measured["then"]["next_steps"]) == 6


def test_every_cited_section_exists_in_both_languages(client: TestClient) -> None:
    for rule in client.get("/v1/rules").json():
        for lang in ("en", "he"):
            response = client.get(f"/v1/guide/{rule['guide']}", params={"lang": lang})
            assert response.status_code == 200, (rule["id"], lang)
            assert response.json()["body"]


def test_guide_hebrew_is_hebrew(client: TestClient) -> None:
    body = client.get("/v1/guide/s3-new-knowledge", params={"lang": "he"}).json()["body"]
    assert any("\u0590" <= ch <= "\u05ff" for ch in body)


def test_guide_corrects_the_sheet(client: TestClient) -> None:
    google = client.get("/v1/guide/s5-google").json()["body"]
    assert "tunings.tune" in google
    openai = client.get("/v1/guide/s5-openai").json()["body"]
    assert "2027-01-06" in openai


def test_guide_errors(client: TestClient) -> None:
    assert client.get("/v1/guide/s99").json()["code"] == "guide_section_not_found"
    assert client.get("/v1/guide/s1-app-side-state", params={"lang": "fr"}).status_code == 422


def test_health_and_readiness(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok", "checks": {}}
    checks = client.get("/readyz").json()["checks"]
    assert checks["database"] == "ok" and checks["worker"] in {"starting", "down"}  # no worker runs in this test
