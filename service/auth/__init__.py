"""API keys per tenant and rate limits per key, in front of every /v1 route.

Auth is on when ``Settings.auth_enabled`` says so: always with ``ADVISOR_AUTH=on``, and with ``auto`` (the
default) whenever the API listens beyond loopback. Open mode (the local one-command run) names every request
the default tenant and limits nothing. See docs/security.md.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request

from service.auth.gate import ApiGate, authenticate, is_api_path
from service.auth.ratelimit import RateLimiter
from service.auth.service import KeyVerifier
from service.config import Settings
from service.errors import PROBLEM_JSON

SECURITY_SCHEME = "apiKey"


def install(app: FastAPI, settings: Settings) -> None:
    """Put the key verifier and the limiter on ``app.state`` and the gate in front of the routes."""
    verifier = KeyVerifier(app.state.database)
    limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst, settings.redis_url)
    app.state.api_keys = verifier
    app.state.rate_limiter = limiter
    app.add_middleware(
        ApiGate, enabled=settings.auth_enabled, default_tenant=settings.default_tenant, verifier=verifier, limiter=limiter
    )
    if settings.auth_enabled:
        _document(app, limits=limiter.enabled)


async def tenant_of_request(request: Request) -> str:
    """Authenticate a request the gate did not see (a route outside /v1 that asks for a tenant)."""
    verifier: KeyVerifier = request.app.state.api_keys
    return await authenticate(request.scope, verifier)


def _document(app: FastAPI, *, limits: bool) -> None:
    """Declare the bearer scheme and the 401/429 answers on every /v1 operation of the OpenAPI schema."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = build()
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {})[SECURITY_SCHEME] = {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key from `advisor keys create --tenant <tenant>`.",
        }
        answers = {"401": "Missing, unknown or revoked API key"} | (
            {"429": "Rate limit reached; see Retry-After"} if limits else {}
        )
        for path, operations in schema.get("paths", {}).items():
            if not is_api_path(path):
                continue
            for operation in operations.values():
                operation["security"] = [{SECURITY_SCHEME: []}]
                responses = operation.setdefault("responses", {})
                for status, description in answers.items():
                    responses.setdefault(status, {"description": description, "content": {PROBLEM_JSON: {"schema": _PROBLEM}}})
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


_PROBLEM: dict[str, Any] = {
    "type": "object",
    "required": ["type", "title", "status", "code", "detail"],
    "properties": {
        name: {"type": "integer" if name == "status" else "string"} for name in ("type", "title", "status", "code", "detail")
    },
}
