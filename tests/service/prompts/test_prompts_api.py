"""POST /v1/prompts/few-shot against a real worker process, and the few-shot artifact of POST /v1/advice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

import service.artifacts.prompting  # noqa: F401  (registers the prompting builder, as the registry will)
from service.prompts import endpoints as prompts
from tests.service.prompts.conftest import TASK, ticket_examples
from tests.service.worker.process import Worker, api_for

ROUTE = "/v1/prompts/few-shot"
PROMPTING = {"task": TASK, "provider": "openai", "examples": 40}


def mounted(app: FastAPI) -> FastAPI:
    # Until service.main includes the router, mount it here the same way.
    if not any(getattr(route, "path", None) == ROUTE for route in app.routes):
        app.include_router(prompts.router)
    return app


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data_dir = tmp_path_factory.mktemp("prompts")
    worker = Worker(data_dir)
    worker.start()
    client = api_for(data_dir)
    mounted(client.app)  # type: ignore[arg-type]
    try:
        with client:
            yield client
    finally:
        worker.stop()


def body(**fields: Any) -> dict[str, Any]:
    return {"task": TASK, "provider": "anthropic", "examples": ticket_examples(), "k": 4, "token_budget": 600, **fields}


def test_few_shot_with_the_workers_embeddings(api: TestClient) -> None:
    response = api.post(ROUTE, json=body(state_fields=["plan"]))
    assert response.status_code == 200, response.text
    prompt = response.json()
    assert prompt["kind"] == "few_shot_prompt" and prompt["provider"] == "anthropic"
    assert len(prompt["example_ids"]) == 4 and prompt["token_count"] <= 600
    assert sorted(prompt["example_ids"] + prompt["held_out_ids"]) == list(range(10))
    assert len(set(prompt["example_ids"]) & set(range(5))) <= 1  # the near-duplicates are not all taken
    assert "<examples>" in prompt["system"] and "{{plan}}" in prompt["messages"][-1]["content"]
    compile(prompt["snippet"], "snippet.py", "exec")
    again = api.post(ROUTE, json=body(state_fields=["plan"]))  # served from the worker's embedding cache
    assert again.json() == prompt


def test_few_shot_from_a_dataset_uses_its_line_numbers(api: TestClient) -> None:
    lines = [
        json.dumps({"messages": [{"role": "user", "content": e["input"]}, {"role": "assistant", "content": e["output"]}]})
        for e in ticket_examples()
    ]
    upload = api.post("/v1/datasets", files={"file": ("tickets.jsonl", "\n".join(lines).encode())}, data={"provider": "openai"})
    assert upload.status_code == 201, upload.text
    response = api.post(ROUTE, json=body(examples=None, dataset_id=upload.json()["id"], provider="openai"))
    assert response.status_code == 200, response.text
    prompt = response.json()
    assert sorted(prompt["example_ids"] + prompt["held_out_ids"]) == list(range(1, 11))
    assert prompt["tokens_exact"] is True and prompt["token_count"] <= 600


def test_a_lone_surrogate_is_a_422_not_a_server_error(api: TestClient) -> None:
    examples = [{"input": "broken \ud800 text", "output": "ops"}, *ticket_examples()]
    payload = json.dumps(body(examples=examples))  # ensure_ascii: the surrogate travels as \\ud800, as a client may send it
    response = api.post(ROUTE, content=payload, headers={"content-type": "application/json"})
    # It could not travel on to the worker as UTF-8; the JSON parser already refuses it, naming the field.
    assert response.status_code == 422, response.text
    assert response.json()["field"] == "examples.0.input"


@pytest.mark.parametrize(
    ("fields", "status", "code", "field"),
    [
        ({"token_budget": 5, "instructions": "Route every ticket. " * 20}, 422, "budget_too_small", "token_budget"),
        ({"examples": None}, 422, "examples_missing", "examples"),
        ({"dataset_id": "abc"}, 422, "validation_error", "body"),
        ({"examples": None, "dataset_id": "no-such-dataset"}, 404, "dataset_not_found", None),
        ({"state_fields": ["Plan!"]}, 422, "validation_error", "state_fields.0"),
        ({"state_fields": ["input"]}, 422, "validation_error", "body"),
        ({"token_budget": 0}, 422, "validation_error", "token_budget"),
        ({"provider": "mistral"}, 422, "validation_error", "provider"),
    ],
)
def test_bad_requests_are_problems(api: TestClient, fields: dict[str, Any], status: int, code: str, field: str | None) -> None:
    response = api.post(ROUTE, json=body(**fields))
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == code
    assert problem.get("field") == field
    if code == "budget_too_small":
        assert "at least" in problem["detail"]


def test_without_a_worker_the_route_says_how_to_start_one(client: TestClient) -> None:
    mounted(client.app)  # type: ignore[arg-type]
    response = client.post(ROUTE, json=body())
    assert response.status_code == 503
    assert response.json()["code"] == "worker_unavailable" and "advisor worker" in response.json()["detail"]


def test_advice_for_prompting_returns_the_few_shot_prompt(client: TestClient) -> None:
    profile = {**PROMPTING, "personalization": True}
    response = client.post("/v1/advice", json={"profile": profile, "artifact": True, "examples": ticket_examples()})
    assert response.status_code == 201, response.text
    advice = response.json()
    assert advice["strategy"] == "prompting"
    part = advice["artifact"]["parts"][0]
    assert part["kind"] == "few_shot_prompt" and part["provider"] == "openai"
    assert part["token_count"] <= part["token_budget"]
    assert part["placeholders"] == ["input", "preferences", "history_summary"]
    assert sorted(part["example_ids"] + part["held_out_ids"]) == list(range(10))
    assert client.get(f"/v1/advice/{advice['id']}/artifact").json() == advice["artifact"]


def test_advice_without_examples_says_what_to_send(client: TestClient) -> None:
    advice = client.post("/v1/advice", json={"profile": PROMPTING, "artifact": True}).json()
    assert advice["strategy"] == "prompting"
    part = advice["artifact"]["parts"][0]
    assert part["kind"] == "few_shot_needs_examples"
    assert '"examples"' in part["detail"]
    retry = client.post("/v1/advice", json={**part["send"], "examples": ticket_examples()})
    assert retry.status_code == 201
    assert retry.json()["artifact"]["parts"][0]["kind"] == "few_shot_prompt"


def test_a_huge_stated_prompt_size_caps_the_budget_instead_of_failing(client: TestClient) -> None:
    # Found by schemathesis: prompt_tokens above the few-shot budget's ceiling was a 500.
    profile = {"task": "0", "prompt_tokens": 1_000_001}
    response = client.post("/v1/advice", json={"profile": profile, "artifact": True, "examples": [{"input": "0", "output": "0"}]})
    assert response.status_code == 201, response.text
    part = response.json()["artifact"]["parts"][0]
    assert part["kind"] == "few_shot_prompt"
    assert part["token_budget"] == 1_000_000
