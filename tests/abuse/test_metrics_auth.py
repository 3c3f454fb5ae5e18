"""/metrics shows no business data without a key (service/auth require_metrics_access).

Before: with keys on, anonymous GET /metrics showed verdicts per strategy and job totals summed over every
tenant. Now, when keys are on, it needs a valid API key, or only ADVISOR_METRICS_TOKEN when one is set; open
mode (keys off, no token) stays open. The answer is still Prometheus text. On SQLite and on PostgreSQL + Redis.
"""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.abuse.conftest import Backend, Live, assert_problem, live_server

TOKEN = "metrics-token-of-the-operator-0123456789"


def anonymous(live: Live, path: str = "/metrics", **headers: str) -> httpx.Response:
    return live.http.get(f"{live.url}{path}", headers=headers)


def test_keys_on_metrics_need_a_key(live_db: Live) -> None:
    live = live_db
    assert live.api("POST", "/v1/advice", json={"task": "Label support tickets"}).status_code == 201
    assert_problem(anonymous(live), 401, "missing_api_key")
    assert_problem(anonymous(live, Authorization="Bearer adv_nope_nope"), 401, "invalid_api_key")
    head = live.http.head(f"{live.url}/metrics")
    assert head.status_code == 401 and head.content == b""
    scraped = live.api("GET", "/metrics")
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    assert "advisor_verdicts_total{strategy=" in scraped.text and "advisor_jobs{" in scraped.text
    # Liveness and readiness stay open: they say nothing about tenants.
    assert anonymous(live, "/healthz").status_code == 200 and anonymous(live, "/readyz").status_code == 200


def test_a_metrics_token_is_the_only_way_in_when_set(tmp_path: Path, backend: Backend) -> None:
    with live_server(tmp_path / "data", backend, metrics_token=TOKEN) as live:
        assert_problem(anonymous(live), 401, "missing_metrics_token")
        assert_problem(live.api("GET", "/metrics"), 401, "invalid_metrics_token")  # a tenant's key is not enough
        assert_problem(anonymous(live, Authorization=f"Bearer {TOKEN}x"), 401, "invalid_metrics_token")
        scraped = anonymous(live, Authorization=f"Bearer {TOKEN}")
        assert scraped.status_code == 200 and "advisor_store_up 1.0" in scraped.text
        assert TOKEN not in scraped.text


def test_open_mode_keeps_metrics_open(tmp_path: Path) -> None:
    with live_server(tmp_path / "data", auth="off") as live:
        scraped = anonymous(live)
        assert scraped.status_code == 200 and "advisor_verdicts_total" in scraped.text
