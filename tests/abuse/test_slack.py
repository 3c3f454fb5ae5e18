"""/slack/events checks the signature on the raw bytes before anything parses them.

Before: an unsigned malformed body reached Bolt's parser and crashed it (500, two tracebacks, the keep-alive
connection reset); a non-numeric timestamp crashed Slack's own verifier (500, empty text/plain).
"""

from __future__ import annotations

import json
import logging
import time

import pytest

from tests.abuse.conftest import SLACK_SECRET, Live, assert_problem, exchange, raw_get, raw_post
from tests.service.slack.fake_slack import command_body, event_body, sign

NESTED = b"[" * 10_000 + b"]" * 10_000
UNSIGNED = [
    pytest.param(b"{not json", {"content-type": "application/json"}, id="not-json"),
    pytest.param(NESTED, {"content-type": "application/json"}, id="10000-levels"),
    pytest.param(b"payload=%7Bbad", {"content-type": "application/x-www-form-urlencoded"}, id="bad-payload"),
    pytest.param(b"x=1", {"X-Slack-Request-Timestamp": "abc", "X-Slack-Signature": "v0=00"}, id="timestamp-abc"),
    pytest.param(b"\xff\xfe{", {"content-type": "application/json"}, id="not-utf8"),
    pytest.param(b"x=1", {"X-Slack-Request-Timestamp": "9" * 400, "X-Slack-Signature": "v0=00"}, id="timestamp-huge"),
    # Arabic-Indic digits pass str.isdigit() and int(): the timestamp must be ASCII digits.
    pytest.param(b"x=1", {"X-Slack-Request-Timestamp": "١٢".encode(), "X-Slack-Signature": "v0=00"}, id="timestamp-arabic"),
]


@pytest.mark.parametrize(("body", "headers"), UNSIGNED)
def test_unsigned_malformed_bodies_are_401_before_any_parsing(
    live: Live, body: bytes, headers: dict[str, str | bytes], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    response = live.http.post(f"{live.url}/slack/events", content=body, headers=headers)
    assert_problem(response, 401, "slack_signature_invalid")
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], [r.getMessage() for r in caplog.records]


def test_the_connection_survives_a_malformed_unsigned_body(live: Live) -> None:
    malformed = raw_post("/slack/events", b"{not json", content_type="application/json")
    first, second = exchange(live.port, malformed, raw_get("/healthz"))
    assert first.startswith(b"HTTP/1.1 401") and b'"slack_signature_invalid"' in first
    assert second.startswith(b"HTTP/1.1 200") and b'"ok"' in second


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        pytest.param(b"{not json", "application/json", id="not-json"),
        pytest.param(NESTED, "application/json", id="10000-levels"),
        pytest.param(b"payload=%7Bbad", "application/x-www-form-urlencoded", id="bad-payload"),
        pytest.param(b"\xff\xfe{", "application/json", id="not-utf8"),
        pytest.param(b"[1, 2]", "application/json", id="not-an-object"),
        pytest.param(command_body("a\x00b"), "application/x-www-form-urlencoded", id="nul-in-text"),
    ],
)
def test_signed_malformed_bodies_are_400_not_a_crash(live: Live, body: bytes, content_type: str) -> None:
    headers = {**sign(SLACK_SECRET, body), "content-type": content_type}
    response = live.http.post(f"{live.url}/slack/events", content=body, headers=headers)
    assert_problem(response, 400, "slack_body_invalid")


def test_a_stale_or_forged_signature_is_401(live: Live) -> None:
    body = command_body("Label support tickets")
    stale = {**sign(SLACK_SECRET, body, int(time.time()) - 301), "content-type": "application/x-www-form-urlencoded"}
    forged = {**sign("another-secret", body), "content-type": "application/x-www-form-urlencoded"}
    calls = len(live.slack.calls)
    for headers in (stale, forged):
        assert_problem(live.http.post(f"{live.url}/slack/events", content=body, headers=headers), 401, "slack_signature_invalid")
    assert len(live.slack.calls) == calls


def test_a_signed_request_still_reaches_bolt(live: Live) -> None:
    body = json.dumps({"type": "url_verification", "challenge": "abc123", "token": "unused"}).encode()
    headers = {**sign(SLACK_SECRET, body), "content-type": "application/json"}
    response = live.http.post(f"{live.url}/slack/events", content=body, headers=headers)
    assert response.status_code == 200 and "abc123" in response.text


def test_a_text_over_the_limit_gets_the_reason_not_try_again(live: Live) -> None:
    long_text = "Answer support tickets in our voice. " * 170  # 6,290 characters: more than 5,000
    body = command_body(long_text)
    headers = {**sign(SLACK_SECRET, body), "content-type": "application/x-www-form-urlencoded"}
    response = live.http.post(f"{live.url}/slack/events", content=body, headers=headers)
    assert response.status_code == 200
    said = response.text  # Bolt sends the acknowledgement's text as the body
    assert "5,000" in said and f"{len(long_text.strip()):,}" in said and "try again" not in said

    mention = event_body({"type": "app_mention", "user": "U1", "text": f"<@UBOT> {long_text}", "ts": "1.2", "channel": "C1"})
    headers = {**sign(SLACK_SECRET, mention), "content-type": "application/json"}
    assert live.http.post(f"{live.url}/slack/events", content=mention, headers=headers).status_code == 200
    posted = next(call.body for call in live.slack.wait_for("chat.postMessage") if call.body.get("thread_ts") == "1.2")
    assert "5,000" in posted["text"] and "try again" not in posted["text"] and posted["thread_ts"] == "1.2"
