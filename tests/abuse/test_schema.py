"""The OpenAPI schema states what the code enforces: the places schemathesis found, one by one.

Before: the schema allowed `chunk_overlap >= chunk_tokens`, an empty multipart body on documents, and
`examples` with `dataset_id` together on few-shot, and the code answered 422 to each. Now the schema says
so (a `minItems`, a `oneOf`, a documented rule), and a request the schema refuses is one the code refuses.
tests/service/api/test_schemathesis.py runs every check over every operation; these pin the three cases.
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
import pytest

from tests.abuse.conftest import Live, assert_problem, multipart


@pytest.fixture(scope="module")
def openapi(live: Live) -> dict[str, Any]:
    document: dict[str, Any] = live.http.get(f"{live.url}/openapi.json").json()
    return document


def _valid(openapi: dict[str, Any], component: str, body: dict[str, Any]) -> bool:
    schema = {"$ref": f"#/components/schemas/{component}", "components": openapi["components"]}
    return bool(jsonschema_rs.Draft202012Validator(schema).is_valid(body))


def test_few_shot_takes_examples_or_dataset_id_not_both(live: Live, openapi: dict[str, Any]) -> None:
    examples = [{"input": "Where is my invoice?", "output": "billing"}]
    both = {"task": "Label tickets", "token_budget": 2000, "examples": examples, "dataset_id": "d1"}
    neither = {"task": "Label tickets", "token_budget": 2000}
    one = {"task": "Label tickets", "token_budget": 2000, "examples": examples, "dataset_id": None}
    assert not _valid(openapi, "FewShotRequest", both) and not _valid(openapi, "FewShotRequest", neither)
    assert _valid(openapi, "FewShotRequest", one)
    assert_problem(live.api("POST", "/v1/prompts/few-shot", json=both), 422, "validation_error")
    assert_problem(live.api("POST", "/v1/prompts/few-shot", json=neither), 422, "examples_missing")


def test_state_fields_are_distinct_and_not_input(openapi: dict[str, Any], live: Live) -> None:
    base = {"task": "t", "token_budget": 2000, "examples": [{"input": "i", "output": "o"}]}
    for fields in (["plan", "plan"], ["input"]):
        assert not _valid(openapi, "FewShotRequest", {**base, "state_fields": fields})
        assert_problem(live.api("POST", "/v1/prompts/few-shot", json={**base, "state_fields": fields}), 422, "validation_error")


def test_documents_need_at_least_one_file(live: Live, openapi: dict[str, Any]) -> None:
    files = openapi["components"]["schemas"]["Body_upload_v1_knowledge_bases__kb__documents_post"]["properties"]["files"]
    assert files["minItems"] == 1 and files["items"]["format"] == "binary"
    assert live.api("POST", "/v1/knowledge-bases", json={"name": "schema-kb"}).status_code == 201
    body, headers = multipart([])
    empty = live.api("POST", "/v1/knowledge-bases/schema-kb/documents", content=body, headers=headers)
    assert assert_problem(empty, 422, "validation_error")["field"] == "files"


def test_chunk_overlap_below_chunk_tokens_is_a_documented_422(live: Live, openapi: dict[str, Any]) -> None:
    # One field compared with another (or with its default) is beyond JSON Schema: stated in the field's description
    # and allowed as 422 for this one operation in schemathesis.toml.
    overlap = openapi["components"]["schemas"]["KnowledgeBaseIn"]["properties"]["chunk_overlap"]
    assert "smaller than chunk_tokens" in overlap["description"]
    assert "422" in openapi["paths"]["/v1/knowledge-bases"]["post"]["responses"]
    for body in ({"name": "o1", "chunk_tokens": 100, "chunk_overlap": 100}, {"name": "o2", "chunk_overlap": 300}):
        assert (
            assert_problem(live.api("POST", "/v1/knowledge-bases", json=body), 422, "validation_error")["field"]
            == "chunk_overlap"
        )


def test_every_operation_documents_the_edges_answers(openapi: dict[str, Any]) -> None:
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            body = operation.get("requestBody", {}).get("content", {})
            if body:
                assert "415" in responses, (method, path)
            if "application/json" in body:
                assert "400" in responses, (method, path)
            if operation.get("parameters") or body:
                assert "422" in responses, (method, path)


MODEL_VALUES = ["gpt-4o-mini", "01-ai/Yi-34B", "ft:gpt-4o-mini:acme::abc", "claude-3-5-sonnet@20240620", "e5-large", ""]
NOT_MODEL_VALUES = ["4305", "-1.5", "1e-05", "true", "null", '{"a": 1}', "[1]", "two words", "x" * 201]


@pytest.mark.parametrize("value", MODEL_VALUES + NOT_MODEL_VALUES)
def test_the_dataset_uploads_model_field_is_refused_exactly_when_the_schema_refuses_it(
    live: Live, openapi: dict[str, Any], value: str
) -> None:
    # Before: `model` was "a string or null", but a multipart field is text: a client's 4305, true or null arrived as
    # that text and was taken for a model name, so schemathesis's negative data was accepted (its check was off here).
    model = openapi["components"]["schemas"]["Body_upload_dataset_v1_datasets_post"]["properties"]["model"]
    assert model["type"] == "string" and "anyOf" not in model, model
    allowed = bool(jsonschema_rs.Draft202012Validator(model).is_valid(value))
    assert allowed == (value in MODEL_VALUES)
    line = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'
    body, headers = multipart([("file", b"data.jsonl", line)], {"provider": "openai", "model": value})
    response = live.api("POST", "/v1/datasets", content=body, headers=headers)
    if allowed:
        assert response.status_code == 201, response.text
    else:
        assert assert_problem(response, 422, "validation_error")["field"] == "model"
