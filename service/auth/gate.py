"""The gate in front of every /v1 route: who is asking (API key -> tenant) and may they ask now (rate limit).

An ASGI middleware rather than a dependency, so a /v1 route cannot be left open by forgetting a parameter,
and a refused request costs no routing, body parsing or thread-pool hop. It stores the tenant in the
request state, where ``service.deps.get_tenant`` reads it.
"""

from __future__ import annotations

import ipaddress
import json

from starlette.types import ASGIApp, Receive, Scope, Send

from service.auth.ratelimit import RateLimiter
from service.auth.service import KeyVerifier
from service.errors import PROBLEM_JSON, AdvisorError, Unauthorized
from service.ops.observability import current_request_id

API_PREFIX = "/v1"


class TooManyRequests(AdvisorError):
    status = 429
    code = "rate_limited"
    title = "Too many requests"


def is_api_path(path: str) -> bool:
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def bearer_token(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, else None."""
    for name, value in scope.get("headers") or ():
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").strip().partition(" ")
            token = token.strip()
            return token if scheme.lower() == "bearer" and token else None
    return None


def missing_key() -> Unauthorized:
    return Unauthorized(
        "This route needs an API key: send `Authorization: Bearer <key>`; an operator creates one with "
        "`advisor keys create --tenant <tenant>`.",
        code="missing_api_key",
        headers={"WWW-Authenticate": "Bearer"},
    )


def invalid_key() -> Unauthorized:
    return Unauthorized(
        "The API key is unknown or revoked; ask an operator for a new one (`advisor keys create`).",
        code="invalid_api_key",
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


async def authenticate(scope: Scope, verifier: KeyVerifier) -> str:
    """The tenant of the request's key; raises 401 ``missing_api_key`` or ``invalid_api_key``."""
    token = bearer_token(scope)
    if token is None:
        raise missing_key()
    tenant = await verifier.tenant_of(token)
    if tenant is None:
        raise invalid_key()
    return tenant


class ApiGate:
    """Authenticates and rate-limits /v1 requests when auth is on; in open mode it only names the default tenant."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        enabled: bool,
        default_tenant: str,
        verifier: KeyVerifier,
        limiter: RateLimiter,
        trusted_proxies: list[str] | None = None,
    ) -> None:
        self.app = app
        self.trusted = tuple(ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies or ())
        self.enabled = enabled
        self.default_tenant = default_tenant
        self.verifier = verifier
        self.limiter = limiter

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_api_path(scope["path"]):
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        if not self.enabled:
            state["tenant"] = self.default_tenant
            await self.app(scope, receive, send)
            return
        token = bearer_token(scope)
        tenant = await self.verifier.tenant_of(token) if token else None
        # Unauthenticated requests share a bucket per client address, so guessing keys is limited too.
        bucket = f"key:{token.split('_', 2)[1]}" if tenant and token else f"ip:{client_address(scope, self.trusted)}"
        decision = await self.limiter.take(bucket)
        if not decision.allowed:
            limited = TooManyRequests(
                f"Too many requests for this API key; wait {decision.retry_after} s (Retry-After) and send it again.",
                headers={"Retry-After": str(decision.retry_after)},
            )
            await send_problem(send, scope, limited)
            return
        if tenant is None:
            await send_problem(send, scope, missing_key() if token is None else invalid_key())
            return
        state["tenant"] = tenant
        state["api_key"] = bucket.removeprefix("key:")  # the public prefix: safe to log
        await self.app(scope, receive, send)


Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_ANY: tuple[Network, ...] = (ipaddress.ip_network("0.0.0.0/0"), ipaddress.ip_network("::/0"))


def _within(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(scope: Scope, trusted: tuple[Network, ...] = ()) -> str:
    """The client's address: the peer's, or, when the peer is a trusted proxy, the nearest untrusted hop it names.

    X-Forwarded-For is read right to left (each proxy appends the address it saw), skipping trusted proxies:
    the hops a client wrote itself sit to the left and are never reached while a trusted proxy vouches for the next.
    """
    client = scope.get("client")
    peer = str(client[0]) if client else "unknown"
    if not trusted or not _within(peer, trusted):
        return peer
    hops = [
        hop.strip()
        for name, value in scope.get("headers") or ()
        if name == b"x-forwarded-for"
        for hop in value.decode("latin-1").split(",")
    ]
    for hop in reversed(hops):
        if not _within(hop, trusted):
            return hop if _within(hop, _ANY) else peer  # not an address: a proxy did not write it; count the proxy
    return peer


async def send_problem(send: Send, scope: Scope, error: AdvisorError) -> None:
    """Answer with problem+json before the app runs (exception handlers only cover the app itself)."""
    problem = error.to_problem(instance=scope.get("path"))
    if (request_id := current_request_id()) is not None:
        problem["request_id"] = request_id
    body = json.dumps(problem).encode()
    headers = [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in error.headers.items()]
    await send({"type": "http.response.start", "status": error.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
