"""Token buckets per API key: in this process by default, in Redis (one atomic script) when configured.

A bucket holds up to ``burst`` requests and refills at ``per_minute / 60`` a second. With Redis every API
process draws from the same bucket; when Redis fails, the request is counted in this process instead and a
warning is logged, because a limiter that can take the service down is worse than a looser limit for a while.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # redis loads only when ADVISOR_REDIS_URL is set: a server without it starts ~0.15 s sooner
    from redis.asyncio import Redis

log = logging.getLogger("service.auth.ratelimit")

REDIS_PREFIX = "advisor:ratelimit:"
REDIS_CLIENT_NAME = "advisor-ratelimit"
REDIS_TIMEOUT_SECONDS = 0.25
REDIS_RETRY_SECONDS = 5.0
_MEMORY_LIMIT = 50_000

# Redis's own clock, so API processes on different machines agree. Returns 0 when the request may go,
# else the milliseconds until one token is back. Idle buckets expire once they would be full again.
_TAKE = """
local rate = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1])
local at = tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
  at = now
end
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local wait = 0
if tokens >= 1 then
  tokens = tokens - 1
else
  wait = math.ceil((1 - tokens) / rate * 1000)
end
redis.call('HSET', KEYS[1], 'tokens', string.format('%.6f', tokens), 'at', string.format('%.6f', now))
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / rate * 1000) + 1000)
return wait
"""


@dataclass(frozen=True)
class Decision:
    allowed: bool
    retry_after: int = 0  # whole seconds, at least 1 when not allowed


def _decision(wait_seconds: float) -> Decision:
    if wait_seconds <= 0:
        return Decision(True)
    return Decision(False, max(1, math.ceil(wait_seconds)))


class MemoryBuckets:
    """Buckets in this process: exact for one API process, per process when there are several."""

    def __init__(self, per_minute: int, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}

    def take(self, key: str) -> Decision:
        now = self.clock()
        tokens, at = self._buckets.get(key, (self.burst, now))
        tokens = min(self.burst, tokens + max(0.0, now - at) * self.rate)
        wait = 0.0
        if tokens >= 1:
            tokens -= 1
        else:
            wait = (1 - tokens) / self.rate
        if len(self._buckets) >= _MEMORY_LIMIT and key not in self._buckets:
            self._prune(now)
        self._buckets[key] = (tokens, now)
        return _decision(wait)

    def _prune(self, now: float) -> None:
        """Forget buckets that have refilled: they hold nothing a fresh bucket would not."""
        full_after = self.burst / self.rate
        self._buckets = {k: v for k, v in self._buckets.items() if now - v[1] < full_after}


class RedisBuckets:
    """Buckets in Redis, shared by every API process that uses the same Redis."""

    def __init__(self, url: str, per_minute: int, burst: int) -> None:
        self.url = url
        self.rate = per_minute / 60.0
        self.burst = burst
        self._loop: asyncio.AbstractEventLoop | None = None
        self._client: Redis | None = None
        self._script: Any = None

    async def take(self, key: str) -> Decision:
        wait_ms = await self._take_script()(keys=[REDIS_PREFIX + key], args=[repr(self.rate), self.burst])
        return _decision(int(wait_ms) / 1000)

    def _take_script(self) -> Any:
        # A redis.asyncio connection belongs to the event loop that opened it; a new loop gets a new client.
        loop = asyncio.get_running_loop()
        if self._loop is not loop:
            from redis.asyncio import Redis

            self._client = Redis.from_url(
                self.url,
                socket_timeout=REDIS_TIMEOUT_SECONDS,
                socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
                client_name=REDIS_CLIENT_NAME,  # tells an operator's CLIENT LIST whose connections these are
            )
            self._script = self._client.register_script(_TAKE)
            self._loop = loop
        return self._script

    async def aclose(self) -> None:
        """Close the connections opened on the running loop; a client of a loop already gone is dropped."""
        client, loop = self._client, self._loop
        self._client = self._script = self._loop = None
        if client is not None and loop is asyncio.get_running_loop():
            await client.aclose()


class RateLimiter:
    """Redis when configured and answering, this process's memory otherwise; ``per_minute=0`` turns limits off."""

    def __init__(
        self, per_minute: int, burst: int, redis_url: str | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.enabled = per_minute > 0
        self.memory = MemoryBuckets(per_minute, burst, clock) if self.enabled else None
        self.redis = RedisBuckets(redis_url, per_minute, burst) if self.enabled and redis_url else None
        self.clock = clock
        self._redis_back_at = 0.0

    async def take(self, key: str) -> Decision:
        if self.memory is None:
            return Decision(True)
        if self.redis is not None and self.clock() >= self._redis_back_at:
            try:
                return await self.redis.take(key)
            except (TimeoutError, OSError, _redis_error()) as exc:
                # Skip Redis for a few seconds: a dead Redis must not add a timeout to every request.
                self._redis_back_at = self.clock() + REDIS_RETRY_SECONDS
                log.warning(
                    "rate limits: Redis failed (%s); counting in this process for %.0f s",
                    type(exc).__name__,
                    REDIS_RETRY_SECONDS,
                )
        return self.memory.take(key)

    async def aclose(self) -> None:
        """Release the Redis connections (the app's lifespan calls it at shutdown)."""
        if self.redis is not None:
            await self.redis.aclose()


def _redis_error() -> type[Exception]:
    from redis.exceptions import RedisError  # imported once Redis is in use (the except clause runs only then)

    return RedisError
