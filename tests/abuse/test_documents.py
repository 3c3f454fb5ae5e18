"""Document ids are opaque: every listed document can be fetched and deleted, whatever its .jsonl id holds.

Before: a .jsonl document whose id contained `/` was stored and listed, but GET and DELETE on
/v1/knowledge-bases/{kb}/documents/{doc_id} never matched it (404 or the wrong route). Now each listed
document carries an `id` that is one URL path segment (base64url of the doc_id behind a `doc_` prefix).
A real worker ingests (real Chroma, the bundled model), on SQLite and on PostgreSQL + Redis.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest

from service.knowledge_bases.parsers import ParseError, parse_file
from tests.abuse.conftest import Live, live_with_worker

IDS = ["a/b", "../up", "..", ".", "q?x=1#frag", "100%", "with space", "עברית/מסמך", "%2F", "x" * 300, "faq-1"]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def with_worker(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    """A served app and a real worker on one data dir, on SQLite then PostgreSQL + Redis (one worker start each)."""
    with live_with_worker(request, tmp_path_factory, request.param) as live:
        yield live


def test_every_listed_document_can_be_fetched_and_deleted(with_worker: Live) -> None:
    live = with_worker
    kb = f"ids-{uuid.uuid4().hex[:8]}"
    assert live.api("POST", "/v1/knowledge-bases", json={"name": kb}).status_code == 201
    lines = "\n".join(
        json.dumps({"id": doc_id, "text": f"Document {number} about topic {doc_id}."}) for number, doc_id in enumerate(IDS)
    )
    response = live.api("POST", f"/v1/knowledge-bases/{kb}/documents", files=[("files", ("ids.jsonl", lines.encode()))])
    assert response.status_code == 202, response.text
    job = live.wait_job(response.json()["id"])
    assert job["state"] == "succeeded", job

    listed = live.api("GET", f"/v1/knowledge-bases/{kb}/documents").json()
    assert sorted(doc["doc_id"] for doc in listed) == sorted(IDS)
    for doc in listed:
        assert "/" not in doc["id"] and "?" not in doc["id"] and "%" not in doc["id"] and doc["id"] not in (".", "..")
        fetched = live.api("GET", f"/v1/knowledge-bases/{kb}/documents/{doc['id']}")
        assert fetched.status_code == 200 and fetched.json()["doc_id"] == doc["doc_id"], (doc, fetched.text)
    # A plain id still works as it did.
    assert live.api("GET", f"/v1/knowledge-bases/{kb}/documents/faq-1").json()["doc_id"] == "faq-1"
    for doc in listed:
        assert live.api("DELETE", f"/v1/knowledge-bases/{kb}/documents/{doc['id']}").status_code == 204
    assert live.api("GET", f"/v1/knowledge-bases/{kb}/documents").json() == []
    assert live.api("GET", f"/v1/knowledge-bases/{kb}").json()["chunks"] == 0


def test_an_opaque_id_that_names_nothing_is_404(with_worker: Live) -> None:
    live = with_worker
    kb = f"none-{uuid.uuid4().hex[:8]}"
    assert live.api("POST", "/v1/knowledge-bases", json={"name": kb}).status_code == 201
    for ref in ("doc_YS9i", "doc_!!", "doc_", "doc_AA"):  # "a/b" (absent), not base64, empty, a NUL once decoded
        response = live.api("GET", f"/v1/knowledge-bases/{kb}/documents/{ref}")
        assert response.status_code == 404 and response.json()["code"] == "document_not_found"


@pytest.mark.parametrize(
    ("line", "code"),
    [
        ({"id": "x" * 301, "text": "t"}, "invalid_id"),
        ({"id": "a\x00b", "text": "t"}, "invalid_id"),
        ({"id": "ok", "text": "t", "metadata": {"k": "v\x00"}}, "invalid_metadata"),
        ({"id": "ok", "text": "t", "metadata": {"k\x00": "v"}}, "invalid_metadata"),
    ],
)
def test_an_id_or_metadata_that_cannot_be_stored_is_refused_with_its_line(line: dict[str, object], code: str) -> None:
    data = (json.dumps({"id": "first", "text": "fine"}) + "\n" + json.dumps(line)).encode()
    with pytest.raises(ParseError) as refused:
        parse_file(data, "docs.jsonl")
    assert refused.value.code == code and refused.value.line == 2
