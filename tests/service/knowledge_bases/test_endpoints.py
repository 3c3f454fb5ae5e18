"""The RAG path end to end: API -> queue -> worker (real Chroma, real model) -> search and prompts."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from tests.service.worker.process import Worker, wait_job

VACATION = b"""# Vacation policy

Employees receive 24 paid vacation days per year. Up to five unused days roll over to the next year.

## Sick leave

Sick leave needs a doctor's note after three consecutive days.
"""
PARKING_HE = "# מדיניות חניה\n\nהחניה בחניון המשרד בתל אביב חינם לכל העובדים. יש להירשם בקבלה ולקבל תג.\n".encode()
SECURITY_HTML = b"""<html><head><style>p{}</style></head><body><h1>Laptop security</h1>
<p>Laptops must use full-disk encryption and lock after five minutes idle.</p><script>ignore()</script></body></html>"""
FAQ_JSONL = "\n".join(
    json.dumps(r)
    for r in [
        {
            "id": "faq-expenses",
            "text": "Expense reports are due on the 5th of each month through the finance portal.",
            "metadata": {"team": "finance"},
        },
        {"id": "faq-badges", "text": "Lost badges are replaced by the front desk within one business day."},
    ]
).encode()


def ingest(client: TestClient, kb: str, files: list[tuple[str, bytes]]) -> dict[str, object]:
    response = client.post(f"/v1/knowledge-bases/{kb}/documents", files=[("files", item) for item in files])
    assert response.status_code == 202, response.text
    assert response.json()["state"] == "queued"
    return wait_job(client, response.json()["id"])


def test_create_ingest_query_prompt_evaluate(rag: tuple[TestClient, Worker]) -> None:
    client, _ = rag
    created = client.post("/v1/knowledge-bases", json={"name": "handbook", "chunk_tokens": 200, "chunk_overlap": 30})
    assert created.status_code == 201
    assert client.post("/v1/knowledge-bases", json={"name": "handbook"}).json()["code"] == "knowledge_base_exists"
    job = ingest(
        client,
        "handbook",
        [("vacation.md", VACATION), ("parking.md", PARKING_HE), ("security.html", SECURITY_HTML), ("faq.jsonl", FAQ_JSONL)],
    )
    assert job["state"] == "succeeded", job
    result = job["result"]
    assert isinstance(result, dict) and result["documents"] == 5 and result["embedded"] == result["chunks"] > 0
    assert job["progress"] == {"done": result["chunks"], "total": result["chunks"]}

    kb = client.get("/v1/knowledge-bases/handbook").json()
    assert kb["documents"] == 5 and kb["chunks"] == result["chunks"]
    docs = {doc["doc_id"]: doc for doc in client.get("/v1/knowledge-bases/handbook/documents").json()}
    assert set(docs) >= {"faq-expenses", "faq-badges"}

    for mode in ("dense", "hybrid"):
        hits = client.post(
            "/v1/knowledge-bases/handbook/query", json={"q": "How many vacation days do I get?", "k": 3, "mode": mode}
        ).json()["hits"]
        assert hits[0]["doc"] == "vacation.md", (mode, hits)
        assert hits[0]["text"] in VACATION.decode()
    hebrew = client.post("/v1/knowledge-bases/handbook/query", json={"q": "איפה החניה של העובדים?", "k": 3}).json()["hits"]
    assert "parking.md" in [hit["doc"] for hit in hebrew]
    html = client.post("/v1/knowledge-bases/handbook/query", json={"q": "disk encryption on laptops", "k": 1}).json()["hits"]
    assert html[0]["doc"] == "security.html" and "ignore()" not in html[0]["text"]

    openai = client.post(
        "/v1/knowledge-bases/handbook/prompt", json={"q": "When are expense reports due?", "provider": "openai"}
    ).json()
    assert "I don't know" in json.dumps(openai)
    anthropic = client.post(
        "/v1/knowledge-bases/handbook/prompt", json={"q": "When are expense reports due?", "provider": "anthropic"}
    ).json()
    assert '<document index="1">' in anthropic["messages"][0]["content"]
    assert anthropic["citations"][0]["index"] == 1
    assert anthropic["citations"][0]["doc_id"] == "faq-expenses"
    compile(anthropic["snippet"], "snippet", "exec")
    gemini = client.post(
        "/v1/knowledge-bases/handbook/prompt", json={"q": "When are expense reports due?", "provider": "google"}
    ).json()
    assert gemini["contents"][0]["role"] == "user" and "[1]" in gemini["contents"][0]["parts"][0]["text"]
    compile(gemini["snippet"], "snippet", "exec")

    metrics = client.post(
        "/v1/knowledge-bases/handbook/evaluate",
        json={
            "items": [
                {"q": "vacation days per year", "expected_doc": "vacation.md"},
                {"q": "חניה לעובדים", "expected_doc": "parking.md"},
                {"q": "lost badge replacement", "expected_doc": "faq.jsonl"},
            ]
        },
    ).json()["metrics"]
    assert set(metrics) == {"dense", "lexical", "hybrid"}
    assert metrics["hybrid"]["hit@3"] >= 2 / 3
    assert metrics["hybrid"]["by_language"]["he"]["n"] == 1 and metrics["hybrid"]["by_language"]["en"]["n"] == 2


def test_query_and_prompt_say_when_nothing_is_relevant(rag: tuple[TestClient, Worker]) -> None:
    client, _ = rag
    client.post("/v1/knowledge-bases", json={"name": "policies"})
    ingest(client, "policies", [("vacation.md", VACATION), ("parking.md", PARKING_HE)])
    found = client.post("/v1/knowledge-bases/policies/query", json={"q": "How many vacation days do I get?"}).json()
    assert found["no_good_match"] is False and found["hits"][0]["relevance"] >= 0.4
    for q in ("Who won the football world cup in 2018?", "מי זכה במונדיאל 2018?"):
        noise = client.post("/v1/knowledge-bases/policies/query", json={"q": q}).json()
        assert noise["hits"] and noise["no_good_match"] is True, noise
        prompt = client.post("/v1/knowledge-bases/policies/prompt", json={"q": q, "provider": "openai"}).json()
        assert prompt["no_good_match"] is True and prompt["citations"] == []
        assert 'Reply "I don\'t know"' in prompt["messages"][1]["content"] and "24 paid" not in prompt["messages"][1]["content"]


def test_a_rag_artifact_is_bound_to_the_named_knowledge_base(rag: tuple[TestClient, Worker]) -> None:
    client, _ = rag
    client.post("/v1/knowledge-bases", json={"name": "hr"})
    ingest(client, "hr", [("vacation.md", VACATION), ("parking.md", PARKING_HE), ("faq.jsonl", FAQ_JSONL)])
    items = [{"q": "How many vacation days do I get?", "expected_doc": "vacation.md", "lang": "en"}]
    client.post("/v1/knowledge-bases/hr/evaluate", json={"items": items, "modes": ["hybrid"]})
    profile = {"task": "Answer HR questions from the handbook", "provider": "anthropic", "needs_external_knowledge": True,
               "knowledge_change": "weekly"}  # fmt: skip
    advice = client.post("/v1/advice", json={"profile": profile, "artifact": True, "knowledge_base": "hr"}).json()
    assert advice["strategy"] == "rag", advice["strategy"]
    [setup] = advice["artifact"]["parts"]
    bound = setup["knowledge_base"]
    hr = client.get("/v1/knowledge-bases/hr").json()
    assert (bound["id"], bound["documents"], bound["chunks"]) == (hr["id"], 4, hr["chunks"])
    assert bound["sources"] == ["faq.jsonl", "parking.md", "vacation.md"]
    assert bound["last_evaluation"]["hybrid"]["hit@1"] == 1.0 and bound["example_question"] == items[0]["q"]
    grounded = bound["grounded_prompt"]
    assert grounded["provider"] == "anthropic" and grounded["citations"][0]["doc"] == "vacation.md"
    assert "24 paid vacation days" in grounded["messages"][0]["content"] and not grounded["no_good_match"]
    assert setup["evaluation"]["command"] == "advisor kb eval hr eval.jsonl"
    assert {json.loads(line)["expected_doc"] for line in setup["files"]["eval.jsonl"].splitlines()} == set(bound["sources"])
    assert setup["ingestion"]["cron"] == "0 3 * * 0"
    assert client.get(f"/v1/advice/{advice['id']}/artifact").json() == advice["artifact"]


def test_reingest_embeds_nothing_and_changes_leave_no_orphans(rag: tuple[TestClient, Worker]) -> None:
    client, _ = rag
    client.post("/v1/knowledge-bases", json={"name": "changes", "chunk_tokens": 60, "chunk_overlap": 10})
    long_doc = (
        "# Guide\n\n" + "\n\n".join(f"Paragraph {i} explains rule number {i} of the office in detail." for i in range(30))
    ).encode()
    first = ingest(client, "changes", [("guide.md", long_doc)])
    again = ingest(client, "changes", [("guide.md", long_doc)])
    assert again["result"]["embedded"] == 0 and again["result"]["skipped"] == first["result"]["chunks"]
    shorter = long_doc.split(b"\n\nParagraph 10")[0] + b"\n\nA brand new closing paragraph."
    changed = ingest(client, "changes", [("guide.md", shorter)])
    assert changed["result"]["removed"] > 0 and changed["result"]["embedded"] >= 1
    kb = client.get("/v1/knowledge-bases/changes").json()
    assert kb["chunks"] == changed["result"]["chunks"]
    hits = client.post("/v1/knowledge-bases/changes/query", json={"q": "rule number 25", "k": 10}).json()["hits"]
    assert all("Paragraph 25" not in hit["text"] for hit in hits)

    assert client.delete("/v1/knowledge-bases/changes/documents/guide.md").status_code == 204
    assert client.get("/v1/knowledge-bases/changes/documents/guide.md").json()["code"] == "document_not_found"
    assert client.post("/v1/knowledge-bases/changes/query", json={"q": "closing paragraph", "k": 5}).json()["hits"] == []
    assert client.delete("/v1/knowledge-bases/changes").status_code == 204
    assert client.get("/v1/knowledge-bases/changes").status_code == 404
    # The same name again is a new, empty knowledge base: nothing the worker kept of the old one answers.
    assert client.post("/v1/knowledge-bases", json={"name": "changes"}).status_code == 201
    assert client.post("/v1/knowledge-bases/changes/query", json={"q": "rule number 25", "k": 5}).json()["hits"] == []
    assert ingest(client, "changes", [("new.md", b"# New\n\nOnly this document now.")])["state"] == "succeeded"
    hits = client.post("/v1/knowledge-bases/changes/query", json={"q": "only this document", "k": 5}).json()["hits"]
    assert [hit["doc"] for hit in hits] == ["new.md"]


def test_bad_uploads_are_clear(rag: tuple[TestClient, Worker]) -> None:
    client, _ = rag
    client.post("/v1/knowledge-bases", json={"name": "errors"})
    response = client.post("/v1/knowledge-bases/errors/documents", files=[("files", ("notes.docx", b"PK\x03\x04"))])
    assert response.status_code == 422 and response.json()["code"] == "unsupported_file_type"
    job = ingest(client, "errors", [("bad.jsonl", b'{"id": "a", "text": "fine"}\nnot json\n')])
    assert job["state"] == "failed"
    assert job["result"]["errors"][0]["line"] == 2
    assert client.post("/v1/knowledge-bases/nope/query", json={"q": "x"}).json()["code"] == "knowledge_base_not_found"
    assert client.get("/v1/jobs/nope").json()["code"] == "job_not_found"


def test_advice_artifact_selects_with_the_workers_embeddings(rag: tuple[TestClient, Worker]) -> None:
    client, _ = rag
    examples = [
        {"input": f"Ticket {i}: {topic}", "output": team}
        for i, (topic, team) in enumerate(
            [
                ("invoice is wrong", "billing"),
                ("app crashes", "mobile"),
                ("refund please", "billing"),
                ("cannot log in", "accounts"),
            ]
            * 3
        )
    ]
    profile = {"task": "Route support tickets to a team", "provider": "openai"}
    advice = client.post("/v1/advice", json={"profile": profile, "artifact": True, "examples": examples}).json()
    part = advice["artifact"]["parts"][0]
    assert part["kind"] == "few_shot_prompt"
    assert "MiniLM" in part["selection"], part["selection"]


def test_advice_artifact_from_a_dataset_file(rag: tuple[TestClient, Worker]) -> None:
    client, _ = rag
    lines = [json.dumps({"input_text": f"Question {i} about invoices", "output_text": f"Answer {i}"}) for i in range(30)]
    dataset = client.post(
        "/v1/datasets", files={"file": ("qa.jsonl", "\n".join(lines).encode())}, data={"provider": "openai"}
    ).json()
    profile = {"task": "Answer invoice questions", "provider": "openai"}
    advice = client.post("/v1/advice", json={"profile": profile, "artifact": True, "dataset_id": dataset["id"]}).json()
    assert advice["strategy"] == "prompting"
    part = advice["artifact"]["parts"][0]
    assert part["kind"] == "few_shot_prompt" and part["example_ids"], part


def test_a_search_answers_the_same_on_the_lean_path_and_on_fastapis(rag: tuple[TestClient, Worker], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A plain search skips FastAPI's dependency solving (ADR 0019/0020); a charset in the content type takes
    FastAPI's handler. Both give the same bytes, and the same 404 and 422 problems."""
    import fastapi.routing

    client, _ = rag
    client.post("/v1/knowledge-bases", json={"name": "lean"})
    ingest(client, "lean", [("vacation.md", VACATION)])
    solved: list[str] = []
    solve = fastapi.routing.solve_dependencies

    async def counted(*, request, **kwargs):  # type: ignore[no-untyped-def]
        solved.append(request.url.path)
        return await solve(request=request, **kwargs)

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", counted)
    body = json.dumps({"q": "How many vacation days?", "k": 2, "mode": "hybrid"}).encode()
    plain = client.post("/v1/knowledge-bases/lean/query", content=body, headers={"content-type": "application/json"})
    assert solved == []
    full = client.post(
        "/v1/knowledge-bases/lean/query", content=body, headers={"content-type": "application/json; charset=utf-8"}
    )
    assert solved == ["/v1/knowledge-bases/lean/query"]
    assert plain.status_code == full.status_code == 200
    assert plain.content == full.content and plain.headers["content-type"] == full.headers["content-type"]
    assert [hit["doc"] for hit in plain.json()["hits"]] == ["vacation.md", "vacation.md"]
    missing = client.post("/v1/knowledge-bases/nope/query", json={"q": "anything"})
    assert (missing.status_code, missing.json()["code"]) == (404, "knowledge_base_not_found")
    bad = client.post("/v1/knowledge-bases/lean/query", json={"q": "anything", "k": 0})
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    # A grounded prompt likewise, for a provider whose request shape has aliased fields (systemInstruction).
    for provider in ("anthropic", "google", "openai"):
        body = json.dumps({"q": "How many vacation days?", "provider": provider}).encode()
        url = "/v1/knowledge-bases/lean/prompt"
        solved.clear()
        plain = client.post(url, content=body, headers={"content-type": "application/json"})
        assert solved == []
        full = client.post(url, content=body, headers={"content-type": "application/json; charset=utf-8"})
        assert solved == [url]
        assert plain.status_code == full.status_code == 200, plain.text
        assert plain.content == full.content and plain.headers["content-type"] == full.headers["content-type"]
        assert b'"systemInstruction"' in plain.content and b'"system_instruction"' not in plain.content
    missing = client.post("/v1/knowledge-bases/nope/prompt", json={"q": "anything", "provider": "openai"})
    assert (missing.status_code, missing.json()["code"]) == (404, "knowledge_base_not_found")
