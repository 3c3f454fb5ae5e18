"""Rate limits per API key: 429 with Retry-After, shared through Redis, and still enforced when Redis is down."""

from __future__ import annotations

import asyncio
import logging
import uuid
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient

from service.auth.ratelimit import REDIS_CLIENT_NAME, MemoryBuckets, RateLimiter
from tests.service.auth.conftest import auth_app, bearer, new_key

REDIS_URL = "redis://127.0.0.1:6379/0"


def test_a_bucket_allows_the_burst_then_refills_at_the_rate() -> None:
    now = [0.0]
    buckets = MemoryBuckets(per_minute=60, burst=3, clock=lambda: now[0])
    assert [buckets.take("k").allowed for _ in range(4)] == [True, True, True, False]
    assert buckets.take("k").retry_after == 1
    assert buckets.take("other").allowed  # every key has its own bucket
    now[0] += 1.0
    assert buckets.take("k").allowed
    assert not buckets.take("k").allowed
    now[0] += 60
    assert sum(buckets.take("k").allowed for _ in range(10)) == 3  # refills to the burst, never beyond


def test_retry_after_is_whole_seconds_until_a_token_is_back() -> None:
    now = [0.0]
    buckets = MemoryBuckets(per_minute=2, burst=1, clock=lambda: now[0])
    assert buckets.take("k").allowed
    assert buckets.take("k").retry_after == 30
    now[0] += 29.5
    assert buckets.take("k").retry_after == 1


def test_zero_per_minute_turns_limits_off() -> None:
    limiter = RateLimiter(per_minute=0, burst=1)
    assert all(asyncio.run(limiter.take("k")).allowed for _ in range(50))


def test_a_key_over_its_limit_gets_429_and_others_do_not(tmp_path: Path) -> None:
    app = auth_app(tmp_path / "data", rate_limit_per_minute=1, rate_limit_burst=3)
    busy, quiet = new_key(app, "acme"), new_key(app, "acme")
    with TestClient(app) as client:
        statuses = [client.get("/v1/advice", headers=bearer(busy)).status_code for _ in range(3)]
        limited = client.get("/v1/advice", headers=bearer(busy))
        other = client.get("/v1/advice", headers=bearer(quiet))
        health = [client.get("/healthz").status_code for _ in range(5)]
    app.state.database.dispose()
    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert limited.headers["content-type"] == "application/problem+json"
    assert limited.json()["code"] == "rate_limited"
    assert limited.json()["request_id"] == limited.headers["x-request-id"]
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert other.status_code == 200
    assert health == [200] * 5  # probes are never limited


def test_requests_without_a_valid_key_are_limited_per_address(tmp_path: Path) -> None:
    app = auth_app(tmp_path / "data", rate_limit_per_minute=1, rate_limit_burst=2)
    issued = new_key(app, "acme")
    with TestClient(app) as client:
        guesses = [client.get("/v1/advice", headers=bearer(f"adv_{i:012x}_" + "A" * 43)).status_code for i in range(3)]
        valid = client.get("/v1/advice", headers=bearer(issued))
    app.state.database.dispose()
    assert guesses == [401, 401, 429]
    assert valid.status_code == 200


@pytest.mark.parametrize(("per_minute", "statuses"), [(60, {"401", "429"}), (0, {"401"})])
def test_the_schema_documents_429_on_v1_operations_when_limits_are_on(
    tmp_path: Path, per_minute: int, statuses: set[str]
) -> None:
    app = auth_app(tmp_path / "data", rate_limit_per_minute=per_minute)
    with TestClient(app) as client:
        schema = client.get("/openapi.json").json()
    app.state.database.dispose()
    operations = [op for path, ops in schema["paths"].items() if path.startswith("/v1/") for op in ops.values()]
    assert len(operations) >= 10
    for operation in operations:
        documented = set(operation["responses"]) & {"401", "429"}
        # An upload past the tenant's concurrent-jobs quota is 429 whatever the rate limits (service/quotas.py).
        quota = {"429"} if operation["operationId"] == "upload_v1_knowledge_bases__kb__documents_post" else set()
        assert documented == statuses | quota, operation["operationId"]
        assert "application/problem+json" in operation["responses"]["401"]["content"]
    assert not set(schema["paths"]["/healthz"]["get"]["responses"]) & {"401", "429"}


@pytest.fixture
def redis_db() -> redis.Redis:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.ConnectionError:
        pytest.skip("needs the local Redis at 127.0.0.1:6379")
    return client


def test_processes_sharing_redis_share_one_bucket(tmp_path: Path, redis_db: redis.Redis) -> None:
    first = auth_app(tmp_path / "data", rate_limit_per_minute=1, rate_limit_burst=3, redis_url=REDIS_URL)
    second = auth_app(tmp_path / "data", rate_limit_per_minute=1, rate_limit_burst=3, redis_url=REDIS_URL)
    issued = new_key(first, f"acme-{uuid.uuid4().hex[:8]}")
    with TestClient(first) as one, TestClient(second) as two:
        statuses = [one.get("/v1/advice", headers=bearer(issued)).status_code for _ in range(2)]
        statuses.append(two.get("/v1/advice", headers=bearer(issued)).status_code)
        limited = two.get("/v1/advice", headers=bearer(issued))
    for app in (first, second):
        app.state.database.dispose()
    assert statuses == [200, 200, 200]
    assert limited.status_code == 429 and 1 <= int(limited.headers["retry-after"]) <= 60
    assert redis_db.exists(f"advisor:ratelimit:key:{issued.prefix}")
    redis_db.delete(f"advisor:ratelimit:key:{issued.prefix}")


def test_the_redis_connections_close_when_the_app_stops(tmp_path: Path, redis_db: redis.Redis) -> None:
    app = auth_app(tmp_path / "data", rate_limit_per_minute=60, rate_limit_burst=5, redis_url=REDIS_URL)
    issued = new_key(app, "acme")

    def limiter_connections() -> set[str]:
        return {c["id"] for c in redis_db.client_list() if c["name"] == REDIS_CLIENT_NAME}

    before = limiter_connections()
    with TestClient(app) as client:
        assert client.get("/v1/advice", headers=bearer(issued)).status_code == 200
        opened = limiter_connections() - before
        assert opened  # open while the app serves
    app.state.database.dispose()
    assert not opened & limiter_connections()
    redis_db.delete(f"advisor:ratelimit:key:{issued.prefix}")


def test_when_redis_is_down_limits_fall_back_to_this_process(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = auth_app(tmp_path / "data", rate_limit_per_minute=1, rate_limit_burst=2, redis_url="redis://127.0.0.1:1/0")
    issued = new_key(app, "acme")
    with caplog.at_level(logging.WARNING, logger="service.auth.ratelimit"), TestClient(app) as client:
        statuses = [client.get("/v1/advice", headers=bearer(issued)).status_code for _ in range(3)]
    app.state.database.dispose()
    assert statuses == [200, 200, 429]
    warnings = [r.getMessage() for r in caplog.records if r.name == "service.auth.ratelimit"]
    assert warnings and "Redis failed" in warnings[0]
    assert len(warnings) == 1  # one warning per outage window, not one per request
