"""A route whose plain requests skip FastAPI's per-request dependency solving (ADR 0019).

For each request FastAPI's handler builds the endpoint's context, solves every parameter (query, headers, the body,
each dependency) through generic machinery and then calls the endpoint: on POST /v1/advice that was about a tenth
of the server's CPU, for a body and one optional query parameter. ``lean_route`` gives an ``APIRoute`` class whose
handler takes a plain request itself: a JSON body that the route's own body field (FastAPI's ``ModelField``, the same
validation call FastAPI makes) accepts, and a query string that is empty or one of the exact ``name=value`` pairs
the route lists. Everything else, and every request while the app has dependency overrides, goes to FastAPI's own
handler, so a refused body or query gets FastAPI's 422 byte for byte and the OpenAPI document is FastAPI's. The
lean handler runs inside FastAPI's ``request_response`` wrapper, so exceptions reach the app's handlers as before.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

# (request, the validated body, the accepted query values by name) -> the response
Lean = Callable[[Request, Any, dict[str, str]], Awaitable[Response]]
Handler = Callable[[Request], Coroutine[Any, Any, Response]]
_JSON = b"application/json"


def _query(raw: bytes, accepted: Mapping[bytes, tuple[str, str]]) -> dict[str, str] | None:
    """The query as {name: value} when it is empty or one pair the route accepts as it is; else None."""
    if not raw:
        return {}
    pair = accepted.get(raw)
    return None if pair is None else {pair[0]: pair[1]}


def _json_body(scope: Mapping[str, Any]) -> bool:
    """Whether the request says its body is exactly ``application/json`` (what FastAPI then parses as JSON)."""
    found = [value for name, value in scope["headers"] if name == b"content-type"]
    return found == [_JSON]


def lean_route(lean: Lean, query: Mapping[str, tuple[str, ...]] | None = None) -> type[APIRoute]:
    """An ``APIRoute`` class (for ``route_class_override``) whose plain requests ``lean`` answers; ``query`` names the
    query parameters and the values a plain request may carry (each request at most one of them)."""
    accepted = {f"{name}={value}".encode(): (name, value) for name, values in (query or {}).items() for value in values}

    class LeanRoute(APIRoute):
        def get_route_handler(self) -> Handler:
            full = super().get_route_handler()
            assert self.body_field is not None, "a lean route reads a JSON body"

            async def handler(request: Request) -> Response:
                raw = await request.body()  # kept by the request: FastAPI's handler reads it again from there
                try:
                    value = json.loads(raw) if raw else None
                except (ValueError, RecursionError):  # not JSON, a number beyond Python's digit limit, too deep
                    value = None
                answer = await self.direct(request, value)
                return answer if answer is not None else await full(request)

            return handler

        async def direct(self, request: Request, value: Any) -> Response | None:
            """The answer to a plain request whose JSON body is ``value``; None when the body field refuses it (or it
            is not JSON) or the request is not plain: FastAPI's handler answers then. The edge calls it without the
            router once it has parsed the body (service/api/edge.py)."""
            scope = request.scope
            params = _query(scope["query_string"], accepted)
            if value is None or params is None or scope["app"].dependency_overrides or not _json_body(scope):
                return None
            assert self.body_field is not None
            body, errors = self.body_field.validate(value, {}, loc=("body",))
            if errors:
                return None
            return await lean(request, body, params)

    return LeanRoute
