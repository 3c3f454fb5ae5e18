"""The request edge: malformed bodies, wrong content types, HEAD, unknown parameters; never a 500, always a code.

Before: invalid UTF-8, very deep JSON and a 5,000-digit integer were 400 `http_error` (the README promises
`invalid_json`), a wrong content type was 422, HEAD was 405 with an empty Allow.
"""

from __future__ import annotations

import pytest

from tests.abuse.conftest import Live, assert_problem, exchange, raw_get, raw_post

JSON = {"content-type": "application/json"}
JSON_ROUTES = ["/v1/advice", "/v1/intake", "/v1/knowledge-bases", "/v1/questionnaire/sessions", "/v1/prompts/few-shot"]
NOT_JSON = [
    pytest.param(b'{"task": "\xff"}', "not UTF-8", id="invalid-utf8"),
    pytest.param(b"[" * 10_000 + b"]" * 10_000, "deeper than 32", id="10000-levels"),
    pytest.param(b'{"task": ' + b"[" * 40 + b"]" * 40 + b"}", "deeper than 32", id="40-levels"),
    pytest.param(b'{"task": "x", "examples": ' + b"9" * 5000 + b"}", "too many digits", id="5000-digit-integer"),
    pytest.param(b"{not json", "line 1, column 2", id="not-json"),
    pytest.param('{"task": "x"}'.encode("utf-16"), "not UTF-8", id="utf-16"),
]


@pytest.mark.parametrize("path", JSON_ROUTES)
@pytest.mark.parametrize(("body", "why"), NOT_JSON)
def test_a_body_that_is_not_utf8_json_is_400_invalid_json(live: Live, path: str, body: bytes, why: str) -> None:
    problem = assert_problem(live.api("POST", path, content=body, headers=JSON), 400, "invalid_json")
    assert why in problem["detail"] and problem["field"] == "body"


@pytest.mark.parametrize(
    ("path", "content_type", "body"),
    [
        ("/v1/advice", "text/plain", b'{"task": "Label tickets"}'),
        ("/v1/advice", "application/x-www-form-urlencoded", b"task=Label+tickets"),
        ("/v1/advice", "multipart/form-data; boundary=x", b"--x--\r\n"),
        ("/v1/datasets", "application/json", b'{"provider": "openai"}'),
        ("/v1/knowledge-bases/kb/documents", "text/csv", b"a,b\n"),
    ],
)
def test_a_body_of_the_wrong_type_is_415(live: Live, path: str, content_type: str, body: bytes) -> None:
    response = live.api("POST", path, content=body, headers={"content-type": content_type})
    problem = assert_problem(response, 415, "unsupported_media_type")
    assert content_type.split(";")[0] in problem["detail"]


def test_a_json_body_without_content_type_is_415_not_a_confusing_422(live: Live) -> None:
    # httpx sets no Content-Type for raw content; FastAPI would not read the body as JSON.
    assert_problem(live.api("POST", "/v1/advice", content=b'{"task": "Label tickets"}'), 415, "unsupported_media_type")


def test_auth_comes_before_any_parsing(live: Live) -> None:
    response = live.http.post(f"{live.url}/v1/advice", content=b"{not json", headers=JSON)
    assert_problem(response, 401, "missing_api_key")


@pytest.mark.parametrize("path", ["/", "/healthz", "/readyz", "/metrics", "/v1/rules", "/openapi.json"])
def test_head_works_where_get_does(live: Live, path: str) -> None:
    get = live.api("GET", path)
    head = live.api("HEAD", path)
    assert get.status_code == head.status_code == 200
    assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]
    if "content-length" in head.headers and path != "/metrics":  # metrics change between two scrapes
        assert head.headers["content-length"] == str(len(get.content))


def test_head_keeps_the_connection_usable(live: Live) -> None:
    head = b"HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: keep-alive\r\n\r\n"
    # A HEAD answer has a Content-Length but no body: a server that sent one would corrupt the next answer.
    first = exchange(live.port, head)[0]
    assert first.startswith(b"HTTP/1.1 200") and first.endswith(b"\r\n\r\n")
    _, second = exchange(live.port, head.replace(b"HEAD", b"GET"), raw_get("/healthz"))
    assert second.startswith(b"HTTP/1.1 200")


@pytest.mark.parametrize(
    ("method", "path", "allow"), [("DELETE", "/healthz", "GET, HEAD"), ("PUT", "/v1/advice", "GET, HEAD, POST")]
)
def test_405_names_the_allowed_methods(live: Live, method: str, path: str, allow: str) -> None:
    response = live.api(method, path)
    assert_problem(response, 405, "method_not_allowed")
    assert response.headers["allow"] == allow


def test_an_unknown_query_parameter_is_422_like_an_unknown_field(live: Live) -> None:
    problem = assert_problem(live.api("GET", "/v1/advice?limt=5"), 422, "unknown_parameter")
    assert problem["field"] == "query.limt" and "cursor, limit" in problem["detail"]
    assert live.api("GET", "/v1/advice?limit=5").status_code == 200


def test_a_whole_number_written_as_float_counts_and_a_fraction_does_not(live: Live) -> None:
    # JSON Schema counts 1.0 as an integer, so the schema's "type: integer" accepts it: so does the API (README).
    accepted = live.api("POST", "/v1/advice", json={"task": "Label support tickets", "examples": 1.0})
    assert accepted.status_code == 201 and accepted.json()["profile"]["examples"] == 1
    fraction = live.api("POST", "/v1/advice", json={"task": "Label tickets", "examples": 1.5})
    refused = assert_problem(fraction, 422, "validation_error")
    assert refused["field"] == "examples"


def test_a_malformed_body_leaves_the_connection_open(live: Live) -> None:
    key = live.key["Authorization"]
    bad = raw_post("/v1/advice", b'{"task": "\xff"}', content_type="application/json", authorization=key)
    first, second = exchange(live.port, bad, raw_get("/healthz"))
    assert first.startswith(b"HTTP/1.1 400") and b'"invalid_json"' in first
    assert second.startswith(b"HTTP/1.1 200")


def test_the_largest_counts_give_a_verdict_and_one_more_is_422(live: Live) -> None:
    # Found by schemathesis: requests_per_day near 2**63 made a monthly figure no 64-bit JSON encoder writes (500).
    biggest = {"requests_per_day": 10**10, "prompt_tokens": 10**7, "input_tokens": 10**7, "output_tokens": 10**7}
    verdict = live.api("POST", "/v1/advice", json={"task": "Label support tickets", **biggest})
    assert verdict.status_code == 201 and verdict.json()["profile"]["requests_per_day"] == 10**10
    for field, value in biggest.items():
        too_big = live.api("POST", "/v1/advice", json={"task": "Label support tickets", field: value + 1})
        assert assert_problem(too_big, 422, "validation_error")["field"] == field


@pytest.mark.parametrize("path", ["/v1/datasets/", "/v1/advice/", "/v1/experiments/"])
def test_an_empty_id_is_not_found_rather_than_the_list(live: Live, path: str) -> None:
    # With trailing-slash redirects, GET /v1/datasets/ followed a 307 to the list: the item's route answered the
    # list's shape (found by schemathesis' stateful run).
    response = live.api("GET", path, follow_redirects=True)
    assert response.status_code == 404, response.text[:200]
    assert response.headers["content-type"].startswith("application/problem+json")
