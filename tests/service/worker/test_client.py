"""The typed client against a real worker process that requires a shared secret."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from service.config import Settings
from service.errors import AdvisorError
from service.worker.client import WorkerClient
from service.worker.local import operations
from service.worker.schemas import EmbedQuery, EvalItem, EvaluateQuery, KbRef, SearchQuery
from tests.service.worker.process import Worker, api_for, wait_job

SECRET = "worker-test-secret-0123456789"
HANDBOOK = b"""# Vacation policy

Employees receive 24 paid vacation days per year. Up to five unused days roll over.

## Parking

Staff park for free in the garage on level two; register the car at the front desk.
"""


@dataclass
class Running:
    data_dir: Path
    worker: Worker
    api: TestClient
    kb_id: str

    @property
    def url(self) -> str:
        return str(json.loads((self.data_dir / "worker.json").read_text())["url"])


@pytest.fixture(scope="module")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    data_dir = tmp_path_factory.mktemp("typed")
    worker = Worker(data_dir, {"ADVISOR_WORKER_SECRET": SECRET})
    worker.start()
    try:
        with api_for(data_dir, worker_secret=SECRET) as api:
            kb = api.post("/v1/knowledge-bases", json={"name": "handbook", "chunk_tokens": 60, "chunk_overlap": 0}).json()
            job = api.post("/v1/knowledge-bases/handbook/documents", files=[("files", ("handbook.md", HANDBOOK))]).json()
            assert wait_job(api, job["id"])["state"] == "succeeded"
            yield Running(data_dir, worker, api, kb["id"])
    finally:
        worker.stop()


@pytest.fixture
def client(running: Running) -> Iterator[WorkerClient]:
    worker = WorkerClient(Settings(data_dir=running.data_dir, worker_secret=SECRET))
    yield worker
    worker.close()


def test_search_stats_and_evaluate_are_typed(running: Running, client: WorkerClient) -> None:
    hits = client.search(SearchQuery(kb_id=running.kb_id, q="Where can staff park?", k=2, mode="dense")).hits
    assert hits[0].doc == "handbook.md" and "garage" in hits[0].text
    stats = client.stats(KbRef(kb_id=running.kb_id))
    assert stats.chunks >= 1 and [doc.source for doc in stats.documents] == ["handbook.md"]
    items = [EvalItem(q="How many vacation days do employees get?", expected_doc="handbook.md")]
    metrics = client.evaluate(EvaluateQuery(kb_id=running.kb_id, items=items, modes=["hybrid"])).metrics
    assert metrics["hybrid"]["hit@1"] == 1.0


def test_embed_gives_normalized_vectors_of_the_bundled_model(client: WorkerClient) -> None:
    vectors = client.embed(EmbedQuery(texts=["a parking question", "a vacation question"])).vectors
    assert [len(vector) for vector in vectors] == [384, 384]
    assert abs(sum(x * x for x in vectors[0]) - 1.0) < 1e-3


def test_an_error_code_of_the_worker_reaches_the_caller(client: WorkerClient) -> None:
    with pytest.raises(AdvisorError) as raised:
        client.search(SearchQuery(kb_id="no-such-kb", q="anything"))
    assert (raised.value.status, raised.value.code) == (404, "knowledge_base_not_found")


@pytest.mark.parametrize(("path", "extra"), [("/stats", {}), ("/search", {"q": "vacation days"})])
def test_the_endpoint_wants_the_secret(running: Running, path: str, extra: dict[str, str]) -> None:
    body = {"kb_id": running.kb_id, **extra}
    missing = httpx.post(f"{running.url}{path}", json=body)
    wrong = httpx.post(f"{running.url}{path}", json=body, headers={"authorization": "Bearer not-the-secret"})
    right = httpx.post(f"{running.url}{path}", json=body, headers={"authorization": f"Bearer {SECRET}"})
    assert (missing.status_code, missing.json()["code"]) == (401, "worker_secret_invalid")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "worker_secret_invalid")
    assert right.status_code == 200 and right.json()[{"/stats": "chunks", "/search": "hits"}[path]]


@pytest.mark.parametrize("body", [b"{not json", b'{"kb_id": "x"}', b'{"kb_id": "x", "q": "a", "k": 0}', b"[]"])
def test_a_search_the_worker_cannot_read_is_400_with_its_code(running: Running, body: bytes) -> None:
    headers = {"authorization": f"Bearer {SECRET}", "content-type": "application/json"}
    answer = httpx.post(f"{running.url}/search", content=body, headers=headers)
    assert (answer.status_code, answer.json()["code"]) == (400, "bad_worker_request")


def test_an_api_with_the_wrong_secret_answers_503_not_401(running: Running) -> None:
    settings = Settings(data_dir=running.data_dir, worker_secret="not-the-secret", worker_wait_seconds=0)
    wrong = WorkerClient(settings)
    try:
        with pytest.raises(AdvisorError) as raised:
            wrong.stats(KbRef(kb_id=running.kb_id))
        assert wrong.state() == "down" and wrong.embedder_if_up() is None
    finally:
        wrong.close()
    assert (raised.value.status, raised.value.code) == (503, "worker_secret_invalid")
    assert "ADVISOR_WORKER_SECRET" in raised.value.message


def test_api_routes_go_through_the_worker_and_readyz_reports_it(running: Running) -> None:
    hits = running.api.post("/v1/knowledge-bases/handbook/query", json={"q": "vacation days", "k": 1}).json()["hits"]
    assert hits[0]["doc"] == "handbook.md"
    ready = running.api.get("/readyz")
    assert ready.status_code == 200 and ready.json()["checks"] == {"database": "ok", "worker": "ok"}
    assert running.api.get("/readyz", params={"require": "worker"}).status_code == 200


def test_the_cli_goes_through_a_running_worker(running: Running) -> None:
    with operations(Settings(data_dir=running.data_dir, worker_secret=SECRET)) as ops:
        assert isinstance(ops, WorkerClient)
        assert ops.stats(KbRef(kb_id=running.kb_id)).chunks >= 1
