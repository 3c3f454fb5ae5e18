"""A real OpenAI-compatible chat server on loopback, answering from a script per input (like a tiny vLLM).

Each input (the last user message) has a script of steps, played one per request: ``"status:429:2"``
answers 429 with ``Retry-After: 2``, ``"status:500"`` a 500, ``"slow:0.2"`` waits then goes on to the next
step, anything else is the answer. The last answer repeats. ``fail_hard`` makes every request a 503.
A request with example turns in it (few-shot) gets the ``truth`` for its input.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


class FakeChat:
    def __init__(self, scripts: dict[str, list[str]], truth: dict[str, str] | None = None) -> None:
        self.scripts = scripts
        self.truth = truth or {}  # a request with examples in it (few-shot) is answered right, at once
        self.requests: Counter[str] = Counter()
        self.answered: Counter[str] = Counter()  # 200s per input: what a paying user is billed for
        self.bodies: list[dict[str, Any]] = []
        self.fail_hard = False
        self.fail_after: int | None = None  # answer this many in total, then fail hard
        self._lock = threading.Lock()

    def respond(self, body: dict[str, Any]) -> tuple[int, dict[str, str], dict[str, Any]]:
        said = body["messages"][-1]["content"]
        # The input inside the last user turn (a few-shot template wraps it): the longest script key it holds.
        text = next((key for key in sorted(self.scripts, key=len, reverse=True) if key in said), said)
        with self._lock:
            self.bodies.append(body)
            step = self.requests[text]
            self.requests[text] += 1
            if self.fail_after is not None and sum(self.answered.values()) >= self.fail_after:
                self.fail_hard = True
            if self.fail_hard:
                return 503, {}, {"error": {"message": "overloaded", "type": "server_error"}}
        taught = any(message["role"] == "assistant" for message in body["messages"]) and text in self.truth
        script = [self.truth[text]] if taught else self.scripts.get(text, ["?"])
        while True:
            action = script[min(step, len(script) - 1)]
            if action.startswith("slow:"):
                time.sleep(float(action.split(":")[1]))
                step += 1
                continue
            break
        if action.startswith("status:"):
            parts = action.split(":")
            headers = {"Retry-After": parts[2]} if len(parts) > 2 else {}
            return int(parts[1]), headers, {"error": {"message": f"status {parts[1]}", "type": "server_error"}}
        with self._lock:
            self.answered[text] += 1
        prompt = 10 * len(body["messages"])
        usage = {"prompt_tokens": prompt, "completion_tokens": 2, "total_tokens": prompt + 2}
        return (
            200,
            {},
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "created": 1,
                "model": body["model"],
                "choices": [{"index": 0, "message": {"role": "assistant", "content": action}, "finish_reason": "stop"}],
                "usage": usage,
            },
        )


@contextmanager
def serve(fake: FakeChat) -> Iterator[str]:
    """The fake on a free loopback port; yields its base URL (``http://127.0.0.1:PORT/v1``)."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            if self.path != "/v1/chat/completions":
                status, headers, payload = 404, {}, {"error": {"message": "no route"}}
            else:
                status, headers, payload = fake.respond(body)
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
