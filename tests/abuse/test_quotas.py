"""Quotas per tenant (service/quotas.py): each case the issue measured is refused before the work starts.

Before: a 3 MB PDF of 20,000 identical pages became 20,000 chunks and 7 minutes of the only worker; /evaluate
with 1,000 items took 9.2 s and a few-shot request with 4,000 examples 8.1 s, all from bodies under 1 MiB.
Now each is a 4xx problem (or a failed job) with code `quota_exceeded` and a `quota` naming the quota, its
limit, the value seen and the env var that raises it; a failed ingestion leaves nothing of its documents.
On SQLite and on PostgreSQL + Redis, with a real worker where one does the work.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, select

from service.store.models import JobRow, KnowledgeBaseRow
from tests.abuse.conftest import Backend, Live, as_new_tenant, assert_problem, live_server, live_with_worker
from tests.abuse.pdfs import identical_pages

WORKER_QUOTAS = {"ADVISOR_QUOTA_CHUNKS_PER_DOCUMENT": "8", "ADVISOR_QUOTA_CHUNKS_PER_KB": "12"}


def sections(count: int, word: str = "alpha") -> bytes:
    """A Markdown document of ``count`` short sections: one chunk each in a knowledge base of 50-token chunks."""
    return "\n\n".join(f"# Part {i}\n\nThe {word} note number {i} says little." for i in range(count)).encode()


def assert_quota(problem: dict[str, Any], name: str, limit: int, value: float, env: str) -> None:
    assert problem["quota"] == {"name": name, "limit": limit, "value": value, "env": env}, problem
    assert env in problem["detail"] and f"{limit:,}" in problem["detail"] and name in problem["detail"], problem


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def with_worker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A served app and a real worker (chunk quotas lowered) on one data dir: on SQLite, then on PostgreSQL + Redis."""
    with live_with_worker(request, tmp_path_factory, request.param, WORKER_QUOTAS) as live:
        yield live


def _kb(live: Live) -> str:
    name = f"q-{uuid.uuid4().hex[:8]}"
    body = {"name": name, "chunk_tokens": 50, "chunk_overlap": 0}
    assert live.api("POST", "/v1/knowledge-bases", json=body).status_code == 201
    return name


def _ingest(live: Live, kb: str, name: str, content: bytes) -> dict[str, Any]:
    response = live.api("POST", f"/v1/knowledge-bases/{kb}/documents", files=[("files", (name, content))])
    assert response.status_code == 202, response.text
    return live.wait_job(response.json()["id"])


def _stored(live: Live, kb: str) -> tuple[list[str], int]:
    documents = live.api("GET", f"/v1/knowledge-bases/{kb}/documents").json()
    return sorted(doc["doc_id"] for doc in documents), live.api("GET", f"/v1/knowledge-bases/{kb}").json()["chunks"]


def test_a_pdf_of_20000_identical_pages_fails_on_its_page_count(with_worker: Live) -> None:
    live = as_new_tenant(with_worker)
    kb = _kb(live)
    job = _ingest(live, kb, "same.pdf", identical_pages(20_000))
    assert job["state"] == "failed" and job["error"]["code"] == "quota_exceeded", job
    assert job["error"]["quota"] == {"name": "pdf_pages", "limit": 1000, "value": 20_000, "env": "ADVISOR_QUOTA_PDF_PAGES"}
    assert job["progress"] == {"done": 0, "total": 0}  # refused before a page was read: nothing chunked, nothing embedded
    assert _stored(live, kb) == ([], 0)
    # A PDF within the quota goes through, pages and all.
    assert _ingest(live, kb, "short.pdf", identical_pages(3))["state"] == "succeeded"
    assert _stored(live, kb)[0] == ["short.pdf"]


def test_a_document_over_the_chunk_quota_fails_and_stores_nothing(with_worker: Live) -> None:
    live = as_new_tenant(with_worker)
    kb = _kb(live)
    job = _ingest(live, kb, "long.md", sections(9))
    assert job["state"] == "failed" and job["error"]["quota"]["name"] == "chunks_per_document", job
    assert job["error"]["quota"] == {
        "name": "chunks_per_document",
        "limit": 8,
        "value": 9,
        "env": "ADVISOR_QUOTA_CHUNKS_PER_DOCUMENT",
    }
    assert _stored(live, kb) == ([], 0)
    assert _ingest(live, kb, "fits.md", sections(8))["state"] == "succeeded"
    assert _stored(live, kb) == (["fits.md"], 8)


def test_a_knowledge_base_stops_growing_at_its_chunk_quota(with_worker: Live) -> None:
    live = as_new_tenant(with_worker)
    kb = _kb(live)
    assert _ingest(live, kb, "a.md", sections(6))["state"] == "succeeded"
    job = _ingest(live, kb, "b.md", sections(7, "beta"))  # 6 + 7 > 12
    assert job["state"] == "failed" and job["error"]["quota"]["name"] == "chunks_per_kb", job
    assert job["error"]["quota"]["value"] == 13 and job["error"]["quota"]["limit"] == 12
    assert _stored(live, kb) == (["a.md"], 6)  # the first document whole, nothing of the second
    # A document ingested again replaces its chunks: 7 new ones instead of 6, not 6 + 7.
    assert _ingest(live, kb, "a.md", sections(7, "gamma"))["state"] == "succeeded"
    assert _stored(live, kb) == (["a.md"], 7)


def test_evaluate_with_1000_items_is_refused_before_any_search(live_db: Live) -> None:
    live = as_new_tenant(live_db)
    kb = _kb(live)
    items = [{"q": f"Where is parcel {i}?", "expected_doc": "tracking.md"} for i in range(1000)]
    response = live.api("POST", f"/v1/knowledge-bases/{kb}/evaluate", json={"items": items})
    problem = assert_problem(response, 413, "quota_exceeded")
    assert_quota(problem, "evaluation_items", 200, 1000, "ADVISOR_QUOTA_EVALUATION_ITEMS")
    assert problem["field"] == "items"
    assert "maxItems" in str(live.api("GET", "/openapi.json").json()["components"]["schemas"]["EvaluateIn"])
    assert (
        live.api("GET", "/openapi.json").json()["components"]["schemas"]["EvaluateIn"]["properties"]["items"]["maxItems"] == 200
    )


def test_few_shot_with_4000_examples_is_refused_before_any_embedding(live_db: Live) -> None:
    examples = [{"input": f"ticket {i}", "output": "billing"} for i in range(4000)]
    body = {"task": "Label support tickets", "examples": examples, "token_budget": 2000}
    problem = assert_problem(live_db.api("POST", "/v1/prompts/few-shot", json=body), 413, "quota_exceeded")
    assert_quota(problem, "few_shot_examples", 1000, 4000, "ADVISOR_QUOTA_FEW_SHOT_EXAMPLES")
    schema = live_db.api("GET", "/openapi.json").json()["components"]["schemas"]["FewShotRequest"]
    assert [option.get("maxItems") for option in schema["properties"]["examples"]["anyOf"] if option.get("type") == "array"] == [
        1000
    ]


def _upload(live: Live, size: int) -> Any:
    line = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'
    content = line * (size // len(line))
    return live.api("POST", "/v1/datasets", files={"file": ("data.jsonl", content)}, data={"provider": "openai"})


def test_stored_dataset_bytes_per_tenant(tmp_path: Any, backend: Backend) -> None:
    with live_server(tmp_path / "data", backend, quota_dataset_mb=1) as served:
        live = as_new_tenant(served)
        first = _upload(live, 600_000)
        assert first.status_code == 201, first.text
        problem = assert_problem(_upload(live, 600_000), 413, "quota_exceeded")
        assert problem["quota"]["name"] == "dataset_mb" and problem["quota"]["limit"] == 1 and problem["quota"]["value"] > 1
        assert "ADVISOR_QUOTA_DATASET_MB" in problem["detail"] and problem["field"] == "file"
        assert live.api("GET", "/v1/datasets").json()["items"][0]["id"] == first.json()["id"]  # the refused one left no row
        # Another tenant has its own quota; deleting a dataset gives its bytes back.
        assert _upload(as_new_tenant(served), 600_000).status_code == 201
        assert live.api("DELETE", f"/v1/datasets/{first.json()['id']}").status_code == 204
        assert _upload(live, 600_000).status_code == 201


def test_concurrent_jobs_per_tenant_get_429_with_retry_after(tmp_path: Any, backend: Backend) -> None:
    # No worker runs: every accepted job stays queued.
    with live_server(tmp_path / "data", backend, quota_concurrent_jobs=2) as served:
        live = as_new_tenant(served)
        kb = _kb(live)
        files = [("files", ("a.md", b"# A\n\nSome text."))]
        accepted = [live.api("POST", f"/v1/knowledge-bases/{kb}/documents", files=files) for _ in range(2)]
        assert [response.status_code for response in accepted] == [202, 202]
        refused = live.api("POST", f"/v1/knowledge-bases/{kb}/documents", files=files)
        problem = assert_problem(refused, 429, "quota_exceeded")
        assert refused.headers["retry-after"] == "30"
        assert_quota(problem, "concurrent_jobs", 2, 3, "ADVISOR_QUOTA_CONCURRENT_JOBS")
        # A file the service would refuse anyway is told so first: a full queue is not the thing to fix.
        bad = live.api("POST", f"/v1/knowledge-bases/{kb}/documents", files=[("files", ("a.exe", b"MZ"))])
        assert assert_problem(bad, 422, "unsupported_file_type")["field"] == "files"
        assert (
            not any((tmp_path / "data" / "kb_uploads").iterdir()) or len(list((tmp_path / "data" / "kb_uploads").iterdir())) == 2
        )
        # The quota is the tenant's: another tenant's upload is accepted.
        other = as_new_tenant(served)
        assert other.api("POST", "/v1/knowledge-bases", json={"name": kb}).status_code == 201
        assert other.api("POST", f"/v1/knowledge-bases/{kb}/documents", files=files).status_code == 202
        with served.app.state.database.session() as session:  # no worker will ever run these: leave no queued job behind
            session.execute(
                delete(JobRow).where(JobRow.kb_id.in_(select(KnowledgeBaseRow.id).where(KnowledgeBaseRow.name == kb)))
            )
            session.commit()
