"""Text that ends up in the store, on SQLite and on PostgreSQL: NUL is refused at the edge, the same on both.

Before: on PostgreSQL a NUL (U+0000) in any stored text was a 500 (PostgreSQL cannot store it), while SQLite
stored it; a questionnaire session started with such a task could never finish. Now a NUL anywhere a client
sends text (a JSON field or key, a query parameter, a path, a form field, a file name) is 422 `nul_character`
naming where, before anything is stored, on both databases.
"""

from __future__ import annotations

import json
import uuid

import pytest

from tests.abuse.conftest import Live, assert_problem, multipart

JSON = {"content-type": "application/json"}


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/v1/advice", {"task": "a\x00b"}, "task"),
        (
            "/v1/advice",
            {"profile": {"task": "ok", "narrow_task": True}, "lang": "en", "knowledge_base": "k\x00"},
            "knowledge_base",
        ),
        ("/v1/advice", {"task": "ok", "a\x00b": 1}, "a\\u0000b"),
        ("/v1/knowledge-bases", {"name": "kb", "embedding_model": "a\x00b"}, "embedding_model"),
        ("/v1/questionnaire/sessions", {"answers": {"task": "Label\x00 tickets"}}, "answers.task"),
        ("/v1/intake", {"text": "We label \x00 tickets"}, "text"),
        (
            "/v1/prompts/few-shot",
            {"task": "t", "token_budget": 500, "examples": [{"input": "i", "output": "o\x00"}]},
            "examples.0.output",
        ),
    ],
)
def test_a_nul_in_a_json_field_is_422_naming_it(live_db: Live, path: str, body: dict[str, object], field: str) -> None:
    problem = assert_problem(live_db.api("POST", path, content=json.dumps(body).encode(), headers=JSON), 422, "nul_character")
    assert problem["field"] == field and field in problem["detail"]


def test_a_written_backslash_u0000_is_text_not_a_nul(live_db: Live) -> None:
    task = "Explain the JSON escape \\u0000 to support staff"  # the six characters \u0000, no NUL
    created = live_db.api("POST", "/v1/advice", json={"task": task})
    assert created.status_code == 201 and created.json()["profile"]["task"] == task


def test_nothing_with_a_nul_is_stored(live_db: Live) -> None:
    marker = f"nul-{uuid.uuid4().hex[:8]}"  # PostgreSQL's schema is shared by the session: look for our own rows
    live_db.api("POST", "/v1/advice", json={"task": f"{marker}\x00"})
    live_db.api("POST", "/v1/knowledge-bases", json={"name": marker, "embedding_model": "x\x00"})
    advice = live_db.api("GET", "/v1/advice?limit=100").json()["items"]
    assert not [item for item in advice if marker in item["profile"]["task"]]
    assert marker not in [kb["name"] for kb in live_db.api("GET", "/v1/knowledge-bases").json()]


def test_a_questionnaire_refused_with_a_nul_task_leaves_none_unfinishable(live_db: Live) -> None:
    assert_problem(live_db.api("POST", "/v1/questionnaire/sessions", json={"answers": {"task": "a\x00b"}}), 422, "nul_character")
    created = live_db.api("POST", "/v1/questionnaire/sessions", json={})
    assert created.status_code == 201
    session = created.json()
    answer = {"question_id": "task", "value": "Label\x00 tickets"}
    refused = live_db.api("POST", f"/v1/questionnaire/sessions/{session['id']}/answers", json=answer)
    assert assert_problem(refused, 422, "nul_character")["field"] == "value"
    answer["value"] = "Label support tickets by product"
    assert live_db.api("POST", f"/v1/questionnaire/sessions/{session['id']}/answers", json=answer).status_code == 200


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("/v1/advice?cursor=a%00b", "query.cursor"),
        ("/v1/advice/a%00b", "path"),
        ("/v1/datasets/a%00b", "path"),
        ("/v1/knowledge-bases/a%00b/documents", "path"),
        ("/v1/tuning-jobs/a%00b", "path"),
        ("/static/a%00b", "path"),
    ],
)
def test_a_nul_in_a_path_or_query_parameter_is_422(live_db: Live, path: str, field: str) -> None:
    assert assert_problem(live_db.api("GET", path), 422, "nul_character")["field"] == field


def test_a_nul_in_a_form_field_or_file_name_is_422(live_db: Live) -> None:
    line = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'
    model = live_db.api(
        "POST", "/v1/datasets", files={"file": ("d.jsonl", line)}, data={"provider": "openai", "model": "gpt\x00"}
    )
    assert assert_problem(model, 422, "nul_character")["field"] == "model"
    body, headers = multipart([("file", b"d\x00.jsonl", line)], {"provider": "openai"})
    name = live_db.api("POST", "/v1/datasets", content=body, headers=headers)
    assert assert_problem(name, 422, "nul_character")["field"] == "file"
    kb = f"kb-{uuid.uuid4().hex[:8]}"
    assert live_db.api("POST", "/v1/knowledge-bases", json={"name": kb}).status_code == 201
    body, headers = multipart([("files", b"a\x00.md", b"# A\n\ntext")])
    upload = live_db.api("POST", f"/v1/knowledge-bases/{kb}/documents", content=body, headers=headers)
    assert assert_problem(upload, 422, "nul_character")["field"] == "files"
