"""API keys per tenant and rate limits per key, in front of every /v1 route.

Auth is on when ``Settings.auth_enabled`` says so: always with ``ADVISOR_AUTH=on``, and with ``auto`` (the
default) whenever the API listens beyond loopback. Open mode (the local one-command run) names every request
the default tenant and limits nothing. See docs/security.md.
"""

from __future__ import annotations

import hmac
from typing import Any

from fastapi import APIRouter, FastAPI, Request, Security
from fastapi.security import HTTPBearer

from service.api.problems import problem_responses
from service.auth.gate import ApiGate, authenticate, bearer_token, is_api_path
from service.auth.ratelimit import RateLimiter
from service.auth.service import KeyVerifier
from service.config import Settings
from service.errors import Unauthorized

SECURITY_SCHEME = "apiKey"
# Declares the scheme in OpenAPI only: with auto_error=False it never refuses a request; ApiGate does that.
API_KEY = HTTPBearer(
    auto_error=False, scheme_name=SECURITY_SCHEME, description="An API key from `advisor keys create --tenant <tenant>`."
)


def install(app: FastAPI, settings: Settings) -> None:
    """Put the key verifier and the limiter on ``app.state`` and the gate in front of the routes."""
    verifier = KeyVerifier(app.state.database)
    limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst, settings.redis_url)
    app.state.api_keys = verifier
    app.state.rate_limiter = limiter
    app.add_middleware(
        ApiGate,
        enabled=settings.auth_enabled,
        default_tenant=settings.default_tenant,
        verifier=verifier,
        limiter=limiter,
        trusted_proxies=settings.trusted_proxies,
    )


def documented(router: APIRouter, settings: Settings) -> dict[str, Any]:
    """``include_router`` options that put the bearer scheme and the 401 (and 429) answers on a /v1 router's
    operations in the OpenAPI document when auth is on; nothing for other routers or in open mode."""
    if not settings.auth_enabled or not all(is_api_path(getattr(route, "path", "")) for route in router.routes):
        return {}
    statuses = (401, 429) if settings.rate_limit_per_minute > 0 else (401,)
    return {"dependencies": [Security(API_KEY)], "responses": problem_responses(*statuses)}


async def tenant_of_request(request: Request) -> str:
    """Authenticate a request the gate did not see (a route outside /v1 that asks for a tenant)."""
    verifier: KeyVerifier = request.app.state.api_keys
    return await authenticate(request.scope, verifier)


async def require_metrics_access(request: Request) -> None:
    """Guard /metrics: its job and verdict totals are business data summed over every tenant.

    With ``ADVISOR_METRICS_TOKEN`` set, only ``Authorization: Bearer <that token>`` opens it; otherwise, when API
    keys are on, any valid key does; in open mode (keys off, no token) it stays open, as on a laptop.
    """
    settings: Settings = request.app.state.settings
    expected = settings.metrics_token
    if expected is None:
        if settings.auth_enabled:
            await tenant_of_request(request)
        return
    token = bearer_token(request.scope) or ""
    if not hmac.compare_digest(token.encode(), expected.get_secret_value().encode()):
        raise Unauthorized(
            "/metrics needs `Authorization: Bearer <ADVISOR_METRICS_TOKEN>`; ask the operator for the metrics token.",
            code="missing_metrics_token" if not token else "invalid_metrics_token",
            headers={"WWW-Authenticate": "Bearer"},
        )
