"""Page cursors are opaque and tenant-scoped (service/store/cursors.py).

Before: the advice list's next_cursor was `c<global row sequence>`, so a tenant could watch how many advice
all tenants stored between two requests. Now a cursor encodes only the position within the tenant's own
list, and another tenant's cursor, another list's cursor, the old form or any made-up value is refused as
422 `invalid_cursor` naming `query.cursor`. On SQLite and on PostgreSQL + Redis.
"""

from __future__ import annotations

import base64

import pytest

from tests.abuse.conftest import Live, as_new_tenant, assert_problem, other_tenant_key

LINE = b'{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}\n'


def advise(live: Live, count: int, headers: dict[str, str] | None = None) -> list[str]:
    return [
        live.api("POST", "/v1/advice", json={"task": f"Label tickets {i}"}, headers=headers or {}).json()["id"]
        for i in range(count)
    ]


def upload(live: Live, headers: dict[str, str] | None = None) -> str:
    response = live.api(
        "POST", "/v1/datasets", files={"file": ("d.jsonl", LINE)}, data={"provider": "openai"}, headers=headers or {}
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def test_a_cursor_tells_nothing_of_other_tenants(live_db: Live) -> None:
    live, other = as_new_tenant(live_db), other_tenant_key(live_db)
    mine = advise(live, 3)
    before = live.api("GET", "/v1/advice", params={"limit": 1}).json()
    advise(live, 5, other)  # another tenant is busy
    after = live.api("GET", "/v1/advice", params={"limit": 1}).json()
    assert before["next_cursor"] == after["next_cursor"]  # the same place in my list reads the same
    decoded = base64.urlsafe_b64decode(after["next_cursor"] + "==").decode()
    assert mine[-1] in decoded and not any(part.isdigit() and len(part) < 10 for part in decoded.split("|"))
    page = live.api("GET", "/v1/advice", params={"limit": 5, "cursor": after["next_cursor"]}).json()
    assert [item["id"] for item in page["items"]] == mine[-2::-1][: len(page["items"])]
    assert set(mine[:-1]) <= {item["id"] for item in page["items"]} | set(_rest(live, page["next_cursor"]))


def _rest(live: Live, cursor: str | None) -> list[str]:
    ids: list[str] = []
    while cursor:
        page = live.api("GET", "/v1/advice", params={"limit": 100, "cursor": cursor}).json()
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    return ids


@pytest.mark.parametrize("path", ["/v1/advice", "/v1/datasets"])
def test_foreign_and_made_up_cursors_are_invalid(live_db: Live, path: str) -> None:
    live, other = live_db, other_tenant_key(live_db)
    for _ in range(2):
        advise(live, 1, other)
        upload(live, other)
    theirs = live.api("GET", path, params={"limit": 1}, headers=other).json()["next_cursor"]
    assert theirs
    advise(live, 1)
    upload(live)
    other_list = "/v1/datasets" if path == "/v1/advice" else "/v1/advice"
    wrong_list = live.api("GET", other_list, params={"limit": 1}, headers=other).json()["next_cursor"]
    made_up = [
        theirs,  # another tenant's: never pages my list
        wrong_list,  # another list's
        "c12",  # the old global sequence
        "",
        "garbage!",
        "A" * 300,
        base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|x|0000000000000000").decode().rstrip("="),
        base64.urlsafe_b64encode(b"\xff\xfe not utf-8 at all, long enough").decode(),
    ]
    for cursor in made_up:
        problem = assert_problem(live.api("GET", path, params={"cursor": cursor}), 422, "invalid_cursor")
        assert problem["field"] == "query.cursor", (cursor, problem)


def test_the_schema_states_the_cursor(live: Live) -> None:
    schema = live.api("GET", "/openapi.json").json()
    for path in ("/v1/advice", "/v1/datasets"):
        (cursor,) = [p for p in schema["paths"][path]["get"]["parameters"] if p["name"] == "cursor"]
        assert "opaque" in cursor["description"] and "invalid_cursor" in cursor["description"]
        assert any(option.get("pattern") for option in [cursor["schema"], *cursor["schema"].get("anyOf", [])]), cursor
