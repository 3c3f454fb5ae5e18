"""The request edge: what every request must be before a route sees it, checked once, in one place.

A pure ASGI middleware inside the auth gate (a refused key costs no parsing) and the body limit (a body is
bounded before it is read here). It answers problem+json with a stable code instead of letting odd input
reach a route, a parser or the database:

- HEAD is served wherever GET is (the GET answer without its body).
- A NUL in the path or a query parameter is 422 ``nul_character`` (service/inputs.py says why), and a /v1
  query parameter the operation does not declare is 422 ``unknown_parameter`` (as an unknown body field is).
- A /v1 body must have the content type its route reads: 415 ``unsupported_media_type`` otherwise.
- A JSON body must be UTF-8 JSON, at most ``JSON_MAX_DEPTH`` deep, with integers Python will parse
  (4,300 digits): 400 ``invalid_json`` otherwise; and no key or string may hold a NUL (422, naming the field).

FastAPI parses the body again for the route; the body is at most ADVISOR_MAX_BODY_BYTES and the parse is
the cheap part of a request (bench/http.py).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import orjson
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.api import openapi
from service.api.direct import answer_directly
from service.api.problems import send_problem
from service.api.route_table import RouteEntry, RouteTable
from service.errors import AdvisorError, UnsupportedMediaType, ValidationFailed
from service.inputs import NulCharacter, find_nul

if TYPE_CHECKING:
    from fastapi import FastAPI

JSON_MAX_DEPTH = 32
API_PREFIX = "/v1/"
_WRITES = frozenset({"POST", "PUT", "PATCH"})
_ACCEPTED = {
    "json": "application/json",
    "multipart": "multipart/form-data",
    "form": "multipart/form-data or application/x-www-form-urlencoded",
}


class InvalidJson(AdvisorError):
    status = 400
    code = "invalid_json"
    title = "The body is not valid JSON"

    def __init__(self, why: str, line: int | None = None, column: int | None = None) -> None:
        if line is None:
            super().__init__(f"The body is not valid JSON: {why}. Send one UTF-8 JSON object.", field="body")
            return
        # Where it breaks, as an editor counts (characters, from 1), in the detail and in errors[].
        super().__init__(
            f"The body is not valid JSON: {why} at line {line}, column {column}. Fix it and send a JSON object.",
            field="body",
            line=line,
            errors=[{"field": "body", "message": why, "type": "json_invalid", "line": line, "column": column}],
        )


def _media_type(scope: Scope) -> str | None:
    for name, value in scope.get("headers") or ():
        if name == b"content-type":
            media_type: str = value.decode("latin-1").split(";", 1)[0].strip().lower()
            return media_type
    return None


def _accepts(kind: str, media_type: str) -> bool:
    if kind == "json":
        return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))
    return media_type in _ACCEPTED[kind].split(" or ")


def _wrong_type(kind: str, media_type: str | None) -> UnsupportedMediaType:
    sent = f"not {media_type}" if media_type else "and the request names no Content-Type"
    hint = " (with curl: -H 'content-type: application/json')" if kind == "json" else ""
    return UnsupportedMediaType(
        f"This route reads {_ACCEPTED[kind]}, {sent}; send the body with that Content-Type{hint}.", field="content-type"
    )


def check_json(body: bytes) -> Any:
    """The body's JSON value; ``InvalidJson`` or ``NulCharacter`` for a body no route should see."""
    try:
        value = orjson.loads(body)  # strict JSON: 0.8 µs against json's 3.3 µs on an advice body
    except orjson.JSONDecodeError:  # not JSON, or JSON orjson refuses: Python's json reads it, or says where it fails
        value = _lenient(body)
    # Cheap screens first: nesting needs brackets, and a NUL in JSON text can only be written as the escape \u0000.
    if body.count(b"[") + body.count(b"{") > JSON_MAX_DEPTH and _too_deep(value):
        raise InvalidJson(f"it nests deeper than {JSON_MAX_DEPTH} levels")
    if b"\\u0000" in body and (field := find_nul(value, JSON_MAX_DEPTH)) is not None:
        raise NulCharacter(field)
    return value


def _lenient(body: bytes) -> Any:
    """What Python's json reads where orjson refused (NaN, lone surrogates, integers beyond 64 bits, very deep
    nesting), or ``InvalidJson`` saying where the text stops being JSON."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InvalidJson(f"byte {exc.start} is not UTF-8") from None
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidJson(exc.msg, exc.lineno, exc.colno) from None
    except RecursionError:
        raise InvalidJson(f"it nests deeper than {JSON_MAX_DEPTH} levels") from None
    except ValueError:  # Python refuses integers of more than 4,300 digits (a CPU-exhaustion guard)
        raise InvalidJson("a number has too many digits") from None
    return value


def _too_deep(value: object) -> bool:
    """Whether ``value`` nests containers deeper than ``JSON_MAX_DEPTH``: one level of containers per pass."""
    level: list[Any] = [value] if isinstance(value, dict | list) else []
    for _ in range(JSON_MAX_DEPTH):
        deeper: list[Any] = []
        for item in level:
            children = item.values() if type(item) is dict else item
            deeper += [child for child in children if type(child) is dict or type(child) is list]
        if not deeper:
            return False
        level = deeper
    return True


def _nul_in_query(query: bytes) -> str | None:
    if b"%00" not in query and b"\x00" not in query:
        return None
    for name, value in parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"):
        if "\x00" in name or "\x00" in value:
            return f"query.{name.replace(chr(0), '')}"
    return None


class RequestEdge:
    def __init__(self, app: ASGIApp, *, fastapi: FastAPI, direct: bool = True) -> None:
        self.app = app
        self.routes = RouteTable(fastapi)
        self.direct = direct  # lean routes answered here (ADR 0024); off, the router (and its tracing) sees them

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        method: str = scope["method"]
        query: bytes = scope.get("query_string", b"")
        field = "path" if "\x00" in path else _nul_in_query(query)
        error: AdvisorError | None = NulCharacter(field) if field is not None else None
        if error is None and query and path.startswith(API_PREFIX):
            error = self._unknown_parameter(scope, path, method, query)
        if error is not None:
            await send_problem(send, scope, error)
            return
        if method == "HEAD":
            await self._head(scope, receive, send)
        elif method in _WRITES and path.startswith(API_PREFIX):
            route = self.routes.route_for(path, method)
            if route is None or route.body is None:
                await self.app(scope, receive, send)
            else:
                await self._with_body(route, scope, receive, send)
        else:
            await self.app(scope, receive, send)

    def _unknown_parameter(self, scope: Scope, path: str, method: str, query: bytes) -> AdvisorError | None:
        """422 for a query parameter the operation does not take: like an unknown body field, never ignored."""
        route = self.routes.route_for(path, "GET" if method == "HEAD" else method)
        if route is None or route.query is None:
            return None
        scope["route"] = route.route  # the access log names the template of a route answered here
        for name, _ in parse_qsl(query.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"):
            if name not in route.query:
                takes = ", ".join(sorted(route.query)) or "none"
                return ValidationFailed(
                    f"Unknown query parameter {name!r}; this operation takes: {takes}.",
                    code="unknown_parameter",
                    field=f"query.{name}",
                )
        return None

    async def _with_body(self, route: RouteEntry, scope: Scope, receive: Receive, send: Send) -> None:
        assert route.body is not None
        # Answered here or by the router, the request is this route's: the access log and metrics name its template.
        scope["route"] = route.route
        media_type = _media_type(scope)
        if media_type is not None and not _accepts(route.body, media_type):
            await send_problem(send, scope, _wrong_type(route.body, media_type))
            return
        if route.body != "json":
            if media_type is None:
                await send_problem(send, scope, _wrong_type(route.body, None))
            else:
                await self.app(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            more = message.get("more_body", False)
        value = None
        if body:
            try:
                if media_type is None:  # FastAPI would not read it as JSON and answer a confusing 422
                    raise _wrong_type("json", None)
                value = check_json(body)
            except AdvisorError as error:
                await send_problem(send, scope, error)
                return
        replay = _replay(body, receive)
        if self.direct and route.direct is not None and await answer_directly(route, value, scope, replay, send):
            return
        await self.app(scope, replay, send)

    async def _head(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"]
        if self.routes.route_for(path, "HEAD") is not None or self.routes.route_for(path, "GET") is None:
            await self.app(scope, receive, send)
            return
        inner = {**scope, "method": "GET"}

        async def without_body(message: Message) -> None:
            if message["type"] == "http.response.body":
                # Content-Length stays the GET answer's, as RFC 9110 (9.3.2) allows for HEAD.
                message = {"type": "http.response.body", "body": b"", "more_body": message.get("more_body", False)}
            await send(message)

        try:
            await self.app(inner, receive, without_body)
        finally:
            scope["route"] = inner.get("route")  # the observer labels the latency by route template


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


def install(app: FastAPI, direct: bool = True) -> None:
    """Add the edge and state its answers in the OpenAPI document; call it before the auth gate is added. Without
    ``direct`` every request that passes the edge goes through FastAPI's router (with OpenTelemetry on, so its spans
    name their route: ADR 0026)."""
    app.add_middleware(RequestEdge, fastapi=app, direct=direct)
    openapi.install(app)
