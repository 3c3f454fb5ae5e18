"""Tenant isolation, swept over every route in the OpenAPI schema.

Tenant A creates one of everything (advice, advice with an artifact, a dataset and its converted files, a tuning
job, a knowledge base with an ingested document and its job, a questionnaire session). Tenant B then calls every
route that takes an id with A's ids and must get the same 404 as for ids that exist nowhere. Routes are read from
the schema, so a new route is swept without editing this file, and a new path parameter fails the sweep until it
is mapped to the kind of thing it names.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.auth.service import IssuedKey
from tests.service.auth.conftest import auth_app, bearer, new_key
from tests.service.tuning_jobs.test_tuning_jobs import chat_line
from tests.service.worker.process import Worker

PROFILE = {"task": "Label support tickets", "narrow_task": True, "examples": 5000, "example_quality": "high"}
TUNING_PROFILE = {
    "task": "Label support tickets by team",
    "provider": "google",
    "narrow_task": True,
    "prompting_status": "insufficient",
}
# Path parameter -> the kind of stored thing it names. Where one name means two kinds, the path decides.
ID_KINDS = {
    "advice_id": "advice",
    "dataset_id": "dataset",
    "kb": "knowledge_base",
    "doc_id": "document",
    "session_id": "questionnaire_session",
    "experiment_id": "experiment",
}
ID_KINDS_BY_PATH = {
    ("/v1/tuning-jobs/{job_id}", "job_id"): "tuning_job",
    ("/v1/jobs/{job_id}", "job_id"): "ingest_job",
    ("/v1/advice/{advice_id}/artifact", "advice_id"): "advice_with_artifact",
}
# Not ids: the same value for both tenants.
FIXED = {("/v1/datasets/{dataset_id}/files/{to}/{name}", "to"): "gemini_contents",
         ("/v1/datasets/{dataset_id}/files/{to}/{name}", "name"): "train.jsonl"}  # fmt: skip
# Public data, the same for every tenant: B must get exactly what A gets.
PUBLIC = {"rule_id": "rule", "section": "guide_section"}
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/v1/datasets/{dataset_id}/convert"): {"json": {"to": "gemini_contents"}},
    ("POST", "/v1/knowledge-bases/{kb}/documents"): {"files": {"files": ("more.md", b"# More\n\nParking is free.\n")}},
    ("POST", "/v1/knowledge-bases/{kb}/query"): {"json": {"q": "How many vacation days?"}},
    ("POST", "/v1/knowledge-bases/{kb}/prompt"): {"json": {"q": "How many vacation days?"}},
    ("POST", "/v1/knowledge-bases/{kb}/evaluate"): {"json": {"items": [{"q": "vacation days", "expected_doc": "vacation.md"}]}},
    ("POST", "/v1/questionnaire/sessions/{session_id}/answers"): {"json": {"question_id": "task", "value": "Label tickets"}},
}
PARAM = re.compile(r"\{(\w+)\}")


@dataclass
class World:
    client: TestClient
    a: IssuedKey
    b: IssuedKey
    ids: dict[str, str] = field(default_factory=dict)
    schema: dict[str, Any] = field(default_factory=dict)

    def operations(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [
            (method.upper(), path, op)
            for path, ops in self.schema["paths"].items()
            if path.startswith("/v1")
            for method, op in ops.items()
        ]


def _wait_job(client: TestClient, key: IssuedKey, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        job: dict[str, Any] = client.get(f"/v1/jobs/{job_id}", headers=bearer(key)).json()
        if job["state"] in ("succeeded", "failed"):
            return job
        time.sleep(0.2)
    raise AssertionError(f"ingest job {job_id} did not finish")


def _wait_experiment(client: TestClient, key: IssuedKey, experiment_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        found: dict[str, Any] = client.get(f"/v1/experiments/{experiment_id}", headers=bearer(key)).json()
        if found["state"] in ("succeeded", "failed"):
            return found
        time.sleep(0.2)
    raise AssertionError(f"experiment {experiment_id} did not finish")


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code in (201, 202), response.text
    body: dict[str, Any] = response.json()
    return body


def _build(client: TestClient, a: IssuedKey, schema: dict[str, Any]) -> dict[str, str]:
    """One of every kind of stored thing, owned by tenant A."""
    h = bearer(a)
    ids = {"advice": _created(client.post("/v1/advice", json=PROFILE, headers=h))["id"]}
    lines = ("\n".join(chat_line(i) for i in range(40)) + "\n").encode()
    upload = client.post("/v1/datasets", files={"file": ("train.jsonl", lines)}, data={"provider": "openai"}, headers=h)
    ids["dataset"] = _created(upload)["id"]
    assert client.post(f"/v1/datasets/{ids['dataset']}/convert", json={"to": "gemini_contents"}, headers=h).status_code == 200
    with_artifact = {"profile": TUNING_PROFILE, "dataset_id": ids["dataset"], "artifact": True}
    ids["advice_with_artifact"] = _created(client.post("/v1/advice", json=with_artifact, headers=h))["id"]
    ids["tuning_job"] = _created(
        client.post("/v1/tuning-jobs", json={"provider": "google", "dataset_id": ids["dataset"]}, headers=h)
    )["id"]
    kb = _created(client.post("/v1/knowledge-bases", json={"name": "handbook-a"}, headers=h))
    ids["knowledge_base"], ids["knowledge_base_name"] = kb["id"], kb["name"]
    document = ("vacation.md", b"# Vacation\n\nEvery employee gets 25 vacation days a year.\n")
    job = _created(client.post(f"/v1/knowledge-bases/{kb['id']}/documents", files={"files": document}, headers=h))
    assert _wait_job(client, a, job["id"])["state"] == "succeeded"
    ids["ingest_job"] = job["id"]
    ids["document"] = client.get(f"/v1/knowledge-bases/{kb['id']}/documents", headers=h).json()[0]["doc_id"]
    if "/v1/questionnaire/sessions" in schema["paths"]:
        ids["questionnaire_session"] = _created(client.post("/v1/questionnaire/sessions", json={}, headers=h))["id"]
    # Nothing listens on the discard port: the worker fails the experiment at once, and A may resume it.
    unreachable = {"provider": "openai_compatible", "base_url": "http://127.0.0.1:9/v1", "model": "m"}
    experiment = {"items": [{"input": "Hi", "expected": "Hello"}], "target": unreachable}
    ids["experiment"] = _created(client.post("/v1/experiments", json=experiment, headers=h))["id"]
    assert _wait_experiment(client, a, ids["experiment"])["state"] == "failed"
    ids["rule"] = client.get("/v1/rules", headers=h).json()[0]["id"]
    ids["guide_section"] = client.get("/v1/guide", headers=h).json()["sections"][0]["anchor"]
    return ids


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    data_dir = tmp_path_factory.mktemp("tenants")
    worker = Worker(data_dir)
    worker.start()
    app = auth_app(data_dir)
    a, b = new_key(app, "tenant-a"), new_key(app, "tenant-b")
    try:
        with TestClient(app) as client:
            schema = client.get("/openapi.json").json()
            yield World(client, a, b, _build(client, a, schema), schema)
    finally:
        worker.stop()
        app.state.database.dispose()


def _kind(path: str, param: str) -> str | None:
    return ID_KINDS_BY_PATH.get((path, param)) or ID_KINDS.get(param)


def _values(world: World, path: str, *, missing: bool) -> dict[str, str]:
    """A's real value for every parameter, or a never-issued one in place of each id."""
    values = {}
    for param in PARAM.findall(path):
        kind = _kind(path, param)
        if kind is not None:
            values[param] = (
                (f"missing-{uuid.uuid4().hex[:8]}" if kind == "knowledge_base" else str(uuid.uuid4()))
                if missing
                else world.ids[kind]
            )
        elif (path, param) in FIXED:
            values[param] = FIXED[(path, param)]
        elif param in PUBLIC:
            values[param] = world.ids[PUBLIC[param]]
        else:
            raise AssertionError(f"{path}: map the path parameter {{{param}}} to a kind of stored thing in this test")
    return values


def _call(world: World, method: str, path: str, values: dict[str, str], key: IssuedKey | None) -> httpx.Response:
    url = PARAM.sub(lambda m: values[m.group(1)], path)
    return world.client.request(method, url, headers=bearer(key) if key else {}, **BODIES.get((method, path), {}))


def _normalized(response: httpx.Response, values: dict[str, str]) -> dict[str, Any]:
    """The body with the ids it names replaced, and without the fields that differ per request."""
    text = response.text
    for value in sorted(values.values(), key=len, reverse=True):
        text = text.replace(value, "<id>")
    body: dict[str, Any] = json.loads(text)
    for name in ("instance", "request_id"):
        body.pop(name, None)
    return {"status": response.status_code, "content-type": response.headers["content-type"], "body": body}


def test_lists_show_only_the_callers_items(world: World) -> None:
    owned = {v for k, v in world.ids.items() if k not in PUBLIC.values()}
    lists = [(m, p) for m, p, _ in world.operations() if m == "GET" and not PARAM.search(p)]
    assert ("GET", "/v1/advice") in lists and ("GET", "/v1/knowledge-bases") in lists
    for method, path in lists:
        seen_by_b = world.client.request(method, path, headers=bearer(world.b))
        assert seen_by_b.status_code == 200, (path, seen_by_b.text)
        assert not [v for v in owned if v in seen_by_b.text], f"{path} shows tenant A's items to tenant B"
    own = world.client.get("/v1/advice", headers=bearer(world.a)).text
    assert world.ids["advice"] in own and world.ids["advice_with_artifact"] in own
    assert "handbook-a" in world.client.get("/v1/knowledge-bases", headers=bearer(world.a)).text


def test_every_v1_route_needs_a_key(world: World) -> None:
    operations = world.operations()
    assert len(operations) >= 20
    for method, path, _ in operations:
        values = _values(world, path, missing=False)
        for headers, code in (({}, "missing_api_key"), (bearer("adv_0123456789ab_" + "x" * 43), "invalid_api_key")):
            url = PARAM.sub(lambda m, v=values: v[m.group(1)], path)  # type: ignore[misc]
            answer = world.client.request(method, url, headers=headers, **BODIES.get((method, path), {}))
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.json()["code"] == code and answer.headers["www-authenticate"].startswith("Bearer")


def test_another_tenants_ids_answer_like_missing_ones(world: World) -> None:
    swept = []
    for method, path, _ in world.operations():
        params = PARAM.findall(path)
        if not params:
            continue
        own = _values(world, path, missing=False)
        if all(_kind(path, p) is None for p in params):
            # Public data (rules, guide sections): every tenant sees the same thing.
            assert _call(world, method, path, own, world.b).json() == _call(world, method, path, own, world.a).json()
            continue
        others = _call(world, method, path, own, world.b)
        missing_values = _values(world, path, missing=True)
        missing = _call(world, method, path, missing_values, world.b)
        assert others.status_code == 404, (method, path, others.text)
        assert _normalized(others, own) == _normalized(missing, missing_values), (method, path)
        swept.append((method, path))
    kinds = {_kind(p, param) for _, p in swept for param in PARAM.findall(p)} - {None}
    expected = set(ID_KINDS.values()) | set(ID_KINDS_BY_PATH.values())
    assert kinds == expected - ({"questionnaire_session"} - set(world.ids))

    # B's deletes above changed nothing: A still reaches every one of its things...
    for method, path, _ in world.operations():
        if PARAM.search(path) and method != "DELETE":
            mine = _call(world, method, path, _values(world, path, missing=False), world.a)
            assert mine.status_code < 400, (method, path, mine.text)
    # ...and A's own deletes work, so B's 404s were not a route that never deletes anything.
    deletes = sorted((p for m, p, _ in world.operations() if m == "DELETE"), key=len, reverse=True)
    assert deletes
    for path in deletes:
        values = _values(world, path, missing=False)
        assert _call(world, "DELETE", path, values, world.a).status_code == 204, path
        gone = PARAM.sub(lambda m, v=values: v[m.group(1)], path)  # type: ignore[misc]
        assert world.client.get(gone, headers=bearer(world.a)).status_code == 404, path
