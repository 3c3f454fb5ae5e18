"""Several processes share the work: what one API process stores, the other serves, and both see the same index."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, cast

import httpx
import pytest
from fastapi.testclient import TestClient

from scripts.run_scaled import Stack
from tests.service.knowledge_bases.test_worker_faults import corpus
from tests.service.tuning_jobs.test_tuning_jobs import chat_line
from tests.service.worker.process import wait_job

pytestmark = pytest.mark.postgres

PROFILE = {
    "task": "Label support tickets",
    "provider": "openai",
    "examples": 800,
    "example_quality": "high",
    "narrow_task": True,
    "prompting_status": "insufficient",
    "prompt_tokens": 4000,
    "requests_per_day": 50000,
}


@pytest.fixture(scope="module")
def apis(stack: Stack) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    first, second = (httpx.Client(base_url=url, timeout=120) for url in stack.api_urls)
    with first, second:
        yield first, second


def all_advice_ids(client: httpx.Client) -> list[str]:
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/advice", params=params).json()
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return ids


def test_every_process_is_ready(stack: Stack, apis: tuple[httpx.Client, httpx.Client]) -> None:
    for client in apis:
        assert client.get("/readyz").json() == {"status": "ok", "checks": {"database": "ok", "worker": "ok"}}
    assert httpx.post(f"{stack.worker_url}/health", json={}).json()["status"] == "ok"


def test_advice_stored_by_one_process_is_served_by_the_other(apis: tuple[httpx.Client, httpx.Client]) -> None:
    a, b = apis
    created = a.post("/v1/advice", json=PROFILE)
    assert created.status_code == 201, created.text
    fetched = b.get(created.headers["location"])
    assert fetched.status_code == 200
    assert fetched.json() == created.json()


def test_dataset_uploaded_on_one_process_is_reported_and_converted_on_the_other(
    apis: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = apis
    lines = [chat_line(i) for i in range(30)] + [chat_line(3), "{not json"]
    uploaded = a.post("/v1/datasets", files={"file": ("train.jsonl", "\n".join(lines) + "\n")}, data={"provider": "openai"})
    assert uploaded.status_code == 201, uploaded.text
    dataset = uploaded.json()
    report = b.get(f"/v1/datasets/{dataset['id']}/report")
    assert report.status_code == 200
    assert report.json() == dataset["report"]
    assert report.json()["ok"] is False  # the broken line is found, whichever process reads the report
    # Converted by B into the shared data dir, downloaded through A.
    converted = b.post(f"/v1/datasets/{dataset['id']}/convert", json={"to": "openai_chat", "validation_fraction": 0.2})
    assert converted.status_code == 200, converted.text
    body = converted.json()
    train = a.get(body["files"]["train"])
    assert train.status_code == 200
    assert len(train.text.splitlines()) == body["train"] > 0


def test_ingested_on_one_process_searched_identically_on_both(stack: Stack, apis: tuple[httpx.Client, httpx.Client]) -> None:
    a, b = apis
    assert a.post("/v1/knowledge-bases", json={"name": "shared", "chunk_tokens": 60, "chunk_overlap": 0}).status_code == 201
    files = corpus()[:8]
    accepted = a.post("/v1/knowledge-bases/shared/documents", files=[("files", f) for f in files])
    assert accepted.status_code == 202, accepted.text
    job = wait_job(cast(TestClient, b), accepted.json()["id"])  # polled on the other process (any client with .get)
    assert job["state"] == "succeeded", job
    assert job["attempts"] == 1
    kb_on_b = b.get("/v1/knowledge-bases/shared").json()
    assert kb_on_b["documents"] == len(files) and kb_on_b["chunks"] == job["result"]["chunks"]
    stats = httpx.post(f"{stack.worker_url}/stats", json={"kb_id": kb_on_b["id"]}, timeout=30).json()
    assert stats["chunks"] == kb_on_b["chunks"], "the Chroma server holds exactly the recorded chunks"
    for mode in ("hybrid", "dense"):
        query = {"q": "how are qx5z requests filed?", "k": 3, "mode": mode}
        hits_a = a.post("/v1/knowledge-bases/shared/query", json=query).json()["hits"]
        hits_b = b.post("/v1/knowledge-bases/shared/query", json=query).json()["hits"]
        assert hits_a == hits_b
        assert hits_a[0]["doc"] == "part-05.md"


def test_concurrent_advice_on_both_processes_is_all_stored_once(apis: tuple[httpx.Client, httpx.Client]) -> None:
    a, b = apis
    before = set(all_advice_ids(a))
    per_process = 50

    def post(client: httpx.Client, i: int) -> str:
        response = client.post("/v1/advice", json={**PROFILE, "task": f"Label tickets, team {i}"})
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    with ThreadPoolExecutor(max_workers=16) as pool:
        futures = [pool.submit(post, client, i) for i in range(per_process) for client in (a, b)]
        created = [future.result() for future in futures]
    assert len(set(created)) == 2 * per_process
    listed_a, listed_b = all_advice_ids(a), all_advice_ids(b)
    assert listed_a == listed_b, "both processes list the same advice in the same order"
    new = [advice_id for advice_id in listed_a if advice_id not in before]
    assert len(new) == len(set(new)) == 2 * per_process
    assert set(new) == set(created)
