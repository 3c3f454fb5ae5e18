"""A fake Slack Web API on a loopback HTTP server, and requests signed the way Slack signs them.

The fake records every call (method, body, Authorization header) and answers like Slack does
(``{"ok": true, ...}``). Tests wait for calls with a timeout instead of sleeping.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import uvicorn
from fastapi import FastAPI

WAIT_SECONDS = 20.0


@dataclass
class Call:
    method: str
    body: dict[str, Any]
    authorization: str | None


@dataclass
class FakeSlack:
    """Records calls; ``hold`` makes chat.postMessage wait until released (a delivery kept in flight)."""

    calls: list[Call] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)
    hold: threading.Event | None = None
    held: threading.Event = field(default_factory=threading.Event)
    changed: threading.Condition = field(default_factory=threading.Condition)
    url: str = ""

    def record(self, call: Call) -> dict[str, Any]:
        if call.method == "chat.postMessage" and self.hold is not None:
            self.held.set()
            self.hold.wait(WAIT_SECONDS)
        with self.changed:
            self.calls.append(call)
            number = len(self.calls)
            self.changed.notify_all()
        if call.method in self.errors:
            return {"ok": False, "error": self.errors[call.method]}
        if call.method == "chat.postMessage":
            return {"ok": True, "channel": call.body.get("channel"), "ts": f"1700000000.{number:06d}", "message": {}}
        if call.method == "views.open":
            return {"ok": True, "view": {"id": f"V{number}"}}
        return {"ok": True}

    def of(self, method: str) -> list[Call]:
        with self.changed:
            return [call for call in self.calls if call.method == method]

    def wait_for(self, method: str, count: int = 1) -> list[Call]:
        """The first ``count`` calls of ``method``, waiting for them to arrive (AssertionError after a timeout)."""
        deadline = time.monotonic() + WAIT_SECONDS
        with self.changed:
            while len([c for c in self.calls if c.method == method]) < count:
                left = deadline - time.monotonic()
                assert left > 0, f"expected {count} {method} call(s), got {[c.method for c in self.calls]}"
                self.changed.wait(left)
            return [c for c in self.calls if c.method == method][:count]


def _handler(fake: FakeSlack) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode("utf-8")
            if self.headers.get("Content-Type", "").startswith("application/json"):
                body = json.loads(raw) if raw else {}
            else:
                body = {key: values[0] for key, values in urllib.parse.parse_qs(raw).items()}
            method = self.path.rsplit("/", 1)[-1]
            answer = json.dumps(fake.record(Call(method, body, self.headers.get("Authorization")))).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    fake.url = f"http://127.0.0.1:{server.server_address[1]}/api/"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        if fake.hold is not None:
            fake.hold.set()
        server.shutdown()
        server.server_close()


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    """Run ``app`` on a real uvicorn server on a free loopback port; yields its base URL."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + WAIT_SECONDS
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(WAIT_SECONDS)


def sign(secret: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack's request signature: ``v0=`` + HMAC-SHA256 of ``v0:{timestamp}:{body}`` with the signing secret."""
    stamp = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret.encode(), b"v0:" + stamp.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": stamp, "X-Slack-Signature": f"v0={digest}"}


def command_body(
    text: str,
    *,
    team: str = "T1",
    trigger: str = "trig-1",
    channel: str = "C1",
    user: str = "U1",
    response_url: str = "https://hooks.slack.invalid/commands/1",
) -> bytes:
    form = {
        "token": "unused",
        "team_id": team,
        "team_domain": "acme",
        "channel_id": channel,
        "channel_name": "general",
        "user_id": user,
        "user_name": "dana",
        "command": "/advise",
        "text": text,
        "api_app_id": "A1",
        "response_url": response_url,
        "trigger_id": trigger,
    }
    return urllib.parse.urlencode(form).encode()


def interaction_body(payload: dict[str, Any]) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(payload)}).encode()


def event_body(event: dict[str, Any], *, team: str = "T1", event_id: str = "Ev1") -> bytes:
    envelope = {
        "token": "unused",
        "team_id": team,
        "api_app_id": "A1",
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": 1700000000,
        "authorizations": [{"team_id": team, "user_id": "UBOT", "is_bot": True}],
    }
    return json.dumps(envelope).encode()
