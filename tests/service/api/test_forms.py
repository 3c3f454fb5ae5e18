"""A form field the route reads as one value, sent twice, is 422 ``repeated_field`` naming it; lists may repeat."""

from __future__ import annotations

import json
from typing import Annotated, Optional

import pytest
from fastapi import UploadFile
from fastapi.testclient import TestClient

from service.api.forms import _takes_many, one_value_each
from service.api.route_table import RouteTable

LINE = json.dumps({"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]})
FILE = ("train.jsonl", (LINE + "\n").encode())


@pytest.mark.parametrize(
    ("data", "files", "field"),
    [
        ({"provider": "openai", "model": ["gpt-4.1-mini-2025-04-14", "gpt-4.1-2025-04-14"]}, [("file", FILE)], "model"),
        ({"provider": ["openai", "google"]}, [("file", FILE)], "provider"),
        ({"provider": "openai"}, [("file", FILE), ("file", ("other.jsonl", FILE[1]))], "file"),
    ],
)
def test_a_repeated_scalar_field_is_refused_and_nothing_is_stored(
    client: TestClient, data: dict[str, object], files: list[tuple[str, tuple[str, bytes]]], field: str
) -> None:
    response = client.post("/v1/datasets", data=data, files=files)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert (problem["code"], problem["field"]) == ("repeated_field", field)
    assert "2 times" in problem["detail"]
    assert client.get("/v1/datasets").json()["items"] == []


def test_one_value_each_still_uploads(client: TestClient) -> None:
    response = client.post("/v1/datasets", data={"provider": "openai"}, files=[("file", FILE)])
    assert response.status_code == 201, response.text
    assert response.json()["provider"] == "openai"


def test_a_list_field_may_repeat(client: TestClient) -> None:
    """Several documents in one upload pass the guard and reach the route (which knows no such knowledge base)."""
    files = [("files", ("a.txt", b"one")), ("files", ("b.txt", b"two"))]
    response = client.post("/v1/knowledge-bases/nowhere/documents", files=files)
    assert response.status_code == 404, response.text
    assert response.json()["code"] == "knowledge_base_not_found"


def test_every_form_route_depends_on_the_guard(client: TestClient) -> None:
    """A new form route that forgets ``dependencies=[OneValueEach]`` fails here, not in production."""
    form_routes = [entry.route for entry in RouteTable(client.app).entries if entry.body in ("form", "multipart")]  # type: ignore[arg-type]
    assert len(form_routes) >= 2
    for route in form_routes:
        calls = [dependant.call for dependant in route.dependant.dependencies]  # type: ignore[attr-defined]
        assert one_value_each in calls, route.path  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("annotation", "many"),
    [
        (str, False),
        (str | None, False),
        (Optional[UploadFile], False),  # noqa: UP045 (the older spelling must read the same)
        (Annotated[str | None, "meta"], False),
        (list[UploadFile], True),
        (list[str] | None, True),
        (Annotated[list[UploadFile], "meta"], True),
        (tuple[str, ...], True),
    ],
)
def test_which_declarations_take_many_values(annotation: object, many: bool) -> None:
    assert _takes_many(annotation) is many
