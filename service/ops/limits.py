"""A request-body limit: FastAPI has none. JSON bodies and uploads get separate limits."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.errors import PROBLEM_JSON, PayloadTooLarge
from service.ops.observability import current_request_id


class BodyLimit:
    """Answer 413 as soon as a body is known to exceed its limit, before the route runs."""

    def __init__(self, app: ASGIApp, max_body: int, max_upload: int) -> None:
        self.app = app
        self.max_body = max_body
        self.max_upload = max_upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        is_upload = headers.get(b"content-type", b"").startswith(b"multipart/")
        limit = self.max_upload if is_upload else self.max_body
        declared = headers.get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _reject(send, scope, limit)
            return
        received = 0
        rejected = False

        async def limited_receive() -> Message:
            nonlocal received, rejected
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    rejected = True
                    raise _TooLarge
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if rejected:
                # The app caught the overflow and answered on its own (FastAPI: 400 "error parsing the body"): say 413.
                if message["type"] == "http.response.start" and not started:
                    started = True
                    await _reject(send, scope, limit)
                return
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await _reject(send, scope, limit)
        except Exception:
            if rejected and not started:
                await _reject(send, scope, limit)
                return
            raise


class _TooLarge(Exception):
    pass


async def _reject(send: Send, scope: Scope, limit: int) -> None:
    error = PayloadTooLarge(f"The body is larger than {limit} bytes; send less, or raise the limit in the server's settings.")
    problem = error.to_problem(instance=scope.get("path"))
    if (request_id := current_request_id()) is not None:
        problem["request_id"] = request_id  # like every other problem body: the id of the X-Request-ID header
    body = json.dumps(problem).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
