"""X-Forwarded-For is believed only from configured proxies; by default a client cannot pick its own bucket.

Before: `advisor serve` ran uvicorn with its default, trusting X-Forwarded-For from loopback, so a client on the
same host (or behind a local proxy that passes the header on) could rotate it and get a fresh rate-limit bucket
for every unauthenticated request (key guessing unbounded). The real command is started here, as an operator
starts it, with a small burst so the shared bucket shows.
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from service.auth.gate import client_address
from tests.service.worker.process import free_port

BURST = 3


@contextmanager
def advisor_serve(data_dir: Path, **env: str) -> Iterator[str]:
    port = free_port()
    environ = {
        **os.environ,
        "ADVISOR_DATA_DIR": str(data_dir),
        "ADVISOR_AUTH": "on",
        "ADVISOR_RATE_LIMIT_BURST": str(BURST),
        "ADVISOR_RATE_LIMIT_PER_MINUTE": "1",
        "ADVISOR_LOG_LEVEL": "WARNING",
        **env,
    }
    command = [sys.executable, "-c", "from service.cli import app; app()", "serve", "--port", str(port), "--no-worker"]
    log = (data_dir.parent / "serve.log").open("wb")
    process = subprocess.Popen(command, env=environ, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None and time.monotonic() < deadline, (data_dir.parent / "serve.log").read_text()
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def _statuses(url: str, forwarded: list[str]) -> list[int]:
    with httpx.Client(timeout=10) as http:
        return [http.get(f"{url}/v1/advice", headers={"X-Forwarded-For": hop}).status_code for hop in forwarded]


def test_rotating_x_forwarded_for_does_not_escape_the_shared_bucket(tmp_path: Path) -> None:
    with advisor_serve(tmp_path / "data") as url:
        statuses = _statuses(url, [f"203.0.113.{i}" for i in range(BURST + 3)])
    assert statuses == [401] * BURST + [429] * 3


def test_a_configured_proxy_is_believed_and_a_spoofed_hop_is_not(tmp_path: Path) -> None:
    with advisor_serve(tmp_path / "data", ADVISOR_TRUSTED_PROXIES="127.0.0.1") as url:
        # Distinct clients behind the trusted proxy each get their own bucket...
        assert _statuses(url, [f"203.0.113.{i}" for i in range(BURST + 3)]) == [401] * (BURST + 3)
        # ... but a client cannot rotate a hop it writes itself: the proxy appends the address it saw, and that counts.
        spoofed = [f"10.9.9.{i}, 198.51.100.7" for i in range(BURST + 2)]
        assert _statuses(url, spoofed) == [401] * BURST + [429] * 2


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "expected"),
    [
        ("127.0.0.1", "203.0.113.9", [], "127.0.0.1"),
        ("127.0.0.1", "203.0.113.9", ["127.0.0.1"], "203.0.113.9"),
        ("10.0.0.5", "1.1.1.1, 203.0.113.9, 10.0.0.4", ["10.0.0.0/8"], "203.0.113.9"),
        ("10.0.0.5", "not-an-address", ["10.0.0.0/8"], "10.0.0.5"),
        ("192.0.2.1", "203.0.113.9", ["10.0.0.0/8"], "192.0.2.1"),
        ("::1", "2001:db8::7", ["::1"], "2001:db8::7"),
    ],
)
def test_the_client_address_is_the_nearest_untrusted_hop(peer: str, forwarded: str, trusted: list[str], expected: str) -> None:
    scope = {"client": (peer, 1234), "headers": [(b"x-forwarded-for", forwarded.encode())]}
    assert client_address(scope, tuple(ipaddress.ip_network(net) for net in trusted)) == expected
