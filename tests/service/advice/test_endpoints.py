"""POST/GET /v1/advice through HTTP, errors as problem+json."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from knowledge.loader import default_catalog
from tests.conftest import load_scenarios

PROBLEM = "application/problem+json"


@pytest.mark.parametrize("case", load_scenarios(), ids=lambda c: c["id"])
def test_public_scenarios_over_http(client: TestClient, case: dict[str, Any]) -> None:
    response = client.post("/v1/advice", json=case["profile"])
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["strategy"] == case["expect"]["strategy"]
    assert set(case["expect"]["flags"]) <= {flag["code"] for flag in body["flags"]}
    assert response.headers["location"] == f"/v1/advice/{body['id']}"


def test_verdict_shape(client: TestClient) -> None:
    profile = {
        "task": "Label tickets",
        "provider": "openai",
        "examples": 800,
        "example_quality": "high",
        "narrow_task": True,
        "prompting_status": "insufficient",
        "prompt_tokens": 4000,
        "requests_per_day": 50000,
    }
    body = client.post("/v1/advice", json=profile).json()
    assert set(body["scores"]) == {"prompting", "rag", "fine_tuning", "rag_and_fine_tuning"}
    reason = body["reasons"][0]
    assert {"rule", "title", "because", "guide"} <= set(reason)
    assert body["rules_version"] and body["catalog_as_of"] == default_catalog().as_of.isoformat()
    assert body["economics"]["monthly_prompt_tokens_today"] == 4000 * 50000 * 30
    change = next(c for c in body["counterfactuals"] if c["reachable"])["changes"][0]
    assert {"field", "from", "to", "label"} == set(change)
    # Where to tune: OpenAI's window closes within 90 days, so the plan points elsewhere.
    assert body["tuning"]["provider"] == "google" and body["tuning"]["elsewhere"] is True
    assert {"field": "input_tokens", "value": 200}.items() <= next(
        a for a in body["assumptions"] if a["field"] == "input_tokens"
    ).items()
    # The stored copy is what the POST returned.
    stored = client.get(body["location"] if "location" in body else f"/v1/advice/{body['id']}").json()
    assert stored == body


def test_wrapped_profile_is_accepted(client: TestClient) -> None:
    response = client.post("/v1/advice", json={"profile": {"task": "Q&A on manuals", "needs_external_knowledge": True}})
    assert response.status_code == 201
    assert response.json()["strategy"] == "rag"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"task": "x", "surprise": 1}, "surprise"),
        ({"task": "x", "examples": "10"}, "examples"),
        ({"task": "x", "examples": -1}, "examples"),
        ({"task": "x", "custom_style": "yes"}, "custom_style"),
        ({"task": "x", "provider": "cohere"}, "provider"),
        ({"task": ""}, "task"),
        ({"task": "x" * 2001}, "task"),
        ({}, "task"),
        ({"profile": {"task": "x"}, "artifact": "yes"}, "artifact"),
        ({"profile": {"task": "x", "examples": 1.5}}, "profile.examples"),
    ],
)
def test_bad_profiles_are_422_with_the_field(client: TestClient, payload: dict[str, Any], field: str) -> None:
    response = client.post("/v1/advice", json=payload)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == "validation_error"
    assert field in {error["field"] for error in body["errors"]}


def test_invalid_json_is_400(client: TestClient) -> None:
    response = client.post("/v1/advice", content=b'{"task": ', headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_json"


def test_body_over_limit_is_413_and_service_keeps_running(client: TestClient) -> None:
    big = {"task": "x", "padding": "y" * (1024 * 1024)}
    response = client.post("/v1/advice", json=big)
    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"
    assert client.post("/v1/advice", json={"task": "still alive"}).status_code == 201


def test_missing_advice_is_404_problem(client: TestClient) -> None:
    response = client.get("/v1/advice/does-not-exist")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "advice_not_found"


def test_list_pages_newest_first_with_cursor(client: TestClient) -> None:
    ids = [client.post("/v1/advice", json={"task": f"task {i}"}).json()["id"] for i in range(5)]
    first = client.get("/v1/advice", params={"limit": 2}).json()
    assert [item["id"] for item in first["items"]] == ids[::-1][:2]
    second = client.get("/v1/advice", params={"limit": 2, "cursor": first["next_cursor"]}).json()
    third = client.get("/v1/advice", params={"limit": 2, "cursor": second["next_cursor"]}).json()
    assert [item["id"] for item in second["items"] + third["items"]] == ids[::-1][2:]
    assert third["next_cursor"] is None


def test_bad_cursor_is_422(client: TestClient) -> None:
    response = client.get("/v1/advice", params={"cursor": "garbage!"})
    assert response.status_code == 422
    assert response.json()["field"] == "query.cursor"


def test_unknown_route_is_problem_json(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_the_verdict_comes_in_the_language_asked(client: TestClient) -> None:
    profile = {
        "task": "Label tickets",
        "narrow_task": True,
        "prompting_status": "insufficient",
        "examples": 500,
        "example_quality": "high",
    }
    hebrew = client.post("/v1/advice?lang=he", json=profile).json()
    assert hebrew["lang"] == "he"
    assert all(any("\u0590" <= ch <= "\u05ff" for ch in reason["because"]) for reason in hebrew["reasons"])
    # A wrapped body's own lang wins over the query.
    wrapped = client.post("/v1/advice?lang=he", json={"profile": profile, "lang": "en"}).json()
    assert wrapped["lang"] == "en" and wrapped["reasons"][0]["because"].isascii()


def test_a_model_of_another_provider_is_a_422_naming_the_field(client: TestClient) -> None:
    response = client.post("/v1/advice", json={"task": "x", "provider": "openai", "model": "claude-sonnet-5-5"})
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "model_of_another_provider" and problem["field"] == "model"


# The profiles of the expert review (issue 13), through the API as a team would send them.
REVIEWED = [
    (
        {
            "task": "Answer HR policy questions from our handbook",
            "provider": "openai",
            "needs_external_knowledge": True,
            "knowledge_change": "yearly",
            "prompting_status": "works",
        },
        "prompting",
        set(),
    ),
    (
        {
            "task": "Extract 30 fields from contracts into JSON",
            "provider": "openai",
            "model": "gpt-4.1-mini",
            "examples": 1000,
            "example_quality": "high",
            "strict_format": True,
            "prompting_status": "works",
            "prompt_tokens": 10000,
            "requests_per_day": 100000,
        },
        "prompting",
        {"model_shutting_down"},
    ),
    (
        {
            "task": "Long-policy chatbot",
            "provider": "google",
            "examples": 3000,
            "example_quality": "high",
            "prompting_status": "works",
            "prompt_tokens": 20000,
            "requests_per_day": 30000,
        },
        "prompting",
        set(),
    ),
    (
        {
            "task": "Ops assistant",
            "provider": "google",
            "needs_external_knowledge": False,
            "knowledge_change": "realtime",
            "prompting_status": "insufficient",
        },
        "prompting",
        {"answers_inconsistent"},
    ),
    (
        {
            "task": "Tone-matched answers on Claude",
            "provider": "anthropic",
            "examples": 3000,
            "example_quality": "high",
            "custom_style": True,
            "prompting_status": "insufficient",
        },
        "fine_tuning",
        {"provider_cannot_fine_tune"},
    ),
]


@pytest.mark.parametrize(("profile", "strategy", "flags"), REVIEWED, ids=[p["task"][:20] for p, _, _ in REVIEWED])
def test_reviewed_profiles_get_the_judged_verdict(
    client: TestClient, profile: dict[str, Any], strategy: str, flags: set[str]
) -> None:
    body = client.post("/v1/advice", json=profile).json()
    assert body["strategy"] == strategy
    assert flags <= {flag["code"] for flag in body["flags"]}
    # No reason argues against the verdict, and a zero-example profile never claims a training cost.
    if strategy == "prompting":
        assert "shorter-prompts-pay" not in {r["rule"] for r in body["reasons"]}
    if body["economics"] is not None and profile.get("examples", 0) == 0:
        assert body["economics"]["training_cost_estimate_usd"] is None and body["economics"]["payback_days"] is None
