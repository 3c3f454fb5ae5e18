"""Turning every failure into RFC 9457 problem+json, and documenting it in OpenAPI."""

from __future__ import annotations

import json
import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope, Send

from service.api.route_table import RouteTable
from service.errors import PROBLEM_JSON, AdvisorError, ServiceUnavailable, ValidationFailed
from service.ops.observability import REQUEST_ID_HEADER, current_request_id

log = logging.getLogger("service.errors")

_PROBLEM_SCHEMA: dict[str, Any] = {
    "content": {
        PROBLEM_JSON: {
            "schema": {
                "type": "object",
                "required": ["type", "title", "status", "code", "detail"],
                "properties": {
                    "type": {"type": "string"},
                    "title": {"type": "string"},
                    "status": {"type": "integer"},
                    "code": {"type": "string"},
                    "detail": {"type": "string"},
                    "field": {"type": "string"},
                    "line": {"type": "integer"},
                    "errors": {"type": "array", "items": {"type": "object"}},
                    "request_id": {"type": "string"},
                    "quota": {
                        "type": "object",
                        "description": "With code `quota_exceeded`: which quota, its limit, the value seen, the env var "
                        "that raises it.",
                        "properties": {
                            "name": {"type": "string"},
                            "limit": {"type": "integer"},
                            "value": {"type": "number"},
                            "env": {"type": "string"},
                        },
                    },
                },
            }
        }
    }
}
_DESCRIPTIONS = {
    400: "Malformed request",
    402: "The estimated cost is over the budget",
    415: "The body's Content-Type is not the one the operation reads",
    401: "Missing, unknown or revoked API key",
    404: "Not found",
    409: "Conflicts with an earlier request",
    413: "Body too large, or over a quota (`quota_exceeded`)",
    422: "Validation failed",
    429: "Rate limit or concurrent-jobs quota reached; see Retry-After",
    502: "The provider failed",
    503: "A dependency is unavailable",
    504: "The provider did not answer in time",
}


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the problem+json answers a route can give."""
    return {status: {"description": _DESCRIPTIONS[status], **_PROBLEM_SCHEMA} for status in statuses}


PROBLEM_RESPONSES = problem_responses(400, 404, 413, 422)
_HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large", 415: "unsupported_media_type"}
# Discriminator tags and the body marker are not places a user can find in their request.
_LOC_NOISE = {"body", "wrapped", "profile"}


async def send_problem(send: Send, scope: Scope, error: AdvisorError) -> None:
    """Answer with problem+json from an ASGI middleware (exception handlers only cover the app itself)."""
    body = error.to_problem(instance=scope.get("path"))
    if (request_id := current_request_id()) is not None:
        body["request_id"] = request_id
    encoded = json.dumps(body).encode()
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(encoded)).encode())]
    headers += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": encoded})


def _unreadable_body(request: Request) -> AdvisorError:
    """FastAPI's 400 "There was an error parsing the body", with the code of the body it could not read."""
    media_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if media_type.startswith("multipart/") or media_type == "application/x-www-form-urlencoded":
        return AdvisorError("The form body could not be read; send well-formed multipart/form-data.", code="invalid_form")
    return AdvisorError("The body is not valid JSON; send one UTF-8 JSON object.", code="invalid_json", field="body")


def problem(error: AdvisorError, request: Request) -> JSONResponse:
    body = error.to_problem(instance=request.url.path)
    if (request_id := current_request_id()) is not None:
        body["request_id"] = request_id  # the same id as the X-Request-ID header and the log lines
    return JSONResponse(body, status_code=error.status, media_type=PROBLEM_JSON, headers=error.headers)


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for i, p in enumerate(loc) if not (i < 2 and p in _LOC_NOISE and (i == 0 or loc[0] == "body"))]
    return ".".join(parts) or "body"


def _position(document: Any, offset: Any) -> tuple[int, int] | None:
    """Line and column (from 1) of a character offset in the body FastAPI failed to parse."""
    if not isinstance(document, str) or not isinstance(offset, int) or not 0 <= offset <= len(document):
        return None
    return document.count("\n", 0, offset) + 1, offset - document.rfind("\n", 0, offset)


def _invalid_json(exc: RequestValidationError, error: dict[str, Any]) -> AdvisorError:
    # FastAPI puts the offset where a field name would go: ("body", 30). Say where, as an editor would.
    loc = tuple(error.get("loc", ()))
    reason = str((error.get("ctx") or {}).get("error") or "not valid JSON")
    where = _position(getattr(exc, "body", None), loc[1] if len(loc) > 1 else None)
    if where is None:
        return AdvisorError(f"The body is not valid JSON ({reason}); send a JSON object.", code="invalid_json", field="body")
    line, column = where
    return AdvisorError(
        f"The body is not valid JSON: {reason} at line {line}, column {column}. Fix it and send a JSON object.",
        code="invalid_json",
        status=400,
        field="body",
        line=line,
        errors=[{"field": "body", "message": reason, "type": "json_invalid", "line": line, "column": column}],
    )


def _sent_as_json(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind == "application/json" or kind.endswith("+json") or kind.startswith("multipart/")


def _validation_error(exc: RequestValidationError, request: Request) -> AdvisorError:
    raw = list(exc.errors())
    invalid = next((err for err in raw if err.get("type") == "json_invalid"), None)
    if invalid is not None:
        return _invalid_json(exc, invalid)
    errors = [
        {"field": _field(tuple(err.get("loc", ()))), "message": err.get("msg", ""), "type": err.get("type", "")} for err in raw
    ]
    if not _sent_as_json(request) and any(tuple(err.get("loc", ()))[:1] == ("body",) for err in raw):
        # Without the header the body is not parsed at all, and pydantic's "valid dictionary" message hides why.
        sent = request.headers.get("content-type") or "missing"
        return AdvisorError(
            f"The body was not read as JSON: its Content-Type is {sent}. Send the header Content-Type: application/json "
            "(with curl: -H 'content-type: application/json').",
            code="validation_error",
            status=422,
            field="body",
            errors=errors,
        )
    first = errors[0] if errors else {"field": "body", "message": "invalid"}
    return AdvisorError(
        f"{first['field']}: {first['message']}. Fix the listed fields and send the request again.",
        code="validation_error",
        status=422,
        field=first["field"],
        errors=errors,
    )


def install(app: FastAPI) -> None:
    """Register the one handler per failure kind."""
    routes = RouteTable(app)

    @app.exception_handler(AdvisorError)
    async def on_advisor_error(request: Request, exc: AdvisorError) -> JSONResponse:
        return problem(exc, request)

    @app.exception_handler(RequestValidationError)
    async def on_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem(_validation_error(exc, request), request)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _HTTP_CODES.get(exc.status_code, "http_error")
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed"
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"No route {request.method} {request.url.path}; see /docs for the API."
        if exc.status_code == 405:
            # Starlette names only the first matching route's methods; a path may have several routes.
            headers["Allow"] = ", ".join(sorted(routes.allowed(request.url.path)))
            detail = f"{request.method} is not allowed on {request.url.path}; use {headers['Allow']}."
        if exc.status_code == 400 and detail == "There was an error parsing the body":
            return problem(_unreadable_body(request), request)
        error = AdvisorError(detail, code=code, status=exc.status_code, headers=headers)
        error.title = HTTPStatus(exc.status_code).phrase
        return problem(error, request)

    @app.exception_handler(OperationalError)
    async def on_database_down(request: Request, exc: OperationalError) -> JSONResponse:
        # A stopped or restarting database is a dependency outage (503, retry), not a bug of ours (500).
        log.warning("database unavailable on %s %s: %s", request.method, request.url.path, type(exc.orig).__name__)
        error = ServiceUnavailable(
            "The database does not answer; the request was not applied. Retry shortly.", code="database_unavailable"
        )
        return problem(error, request)

    @app.exception_handler(DataError)
    async def on_unstorable(request: Request, exc: DataError) -> JSONResponse:
        # PostgreSQL refusing a value (too long for its column, out of range): the request's data, not an outage.
        log.warning("value refused by the database on %s %s: %s", request.method, request.url.path, type(exc.orig).__name__)
        error = ValidationFailed(
            "A value in the request cannot be stored (too long or out of range); shorten it and send the request again.",
            code="unstorable_value",
        )
        return problem(error, request)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        # Starlette's ServerErrorMiddleware sends this answer outside every middleware, the request-id one
        # included, so it names the id itself (still set: the id middleware leaves it for this handler).
        request_id = current_request_id()
        error = AdvisorError(
            "Something went wrong on our side; the request was not applied. Try again.",
            code="internal_error",
            status=500,
            headers={REQUEST_ID_HEADER: request_id} if request_id else None,
        )
        return problem(error, request)
