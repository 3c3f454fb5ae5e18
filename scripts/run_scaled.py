"""`make run-scaled`: the scale-out layout on one machine.

Two API processes and one worker share PostgreSQL (ADVISOR_DATABASE_URL), Redis (ADVISOR_REDIS_URL, the
job queue) and a Chroma server (`chroma run`, ADVISOR_CHROMA_URL), exactly as replicas would in a real
deployment; only the addresses differ. Ctrl-C stops everything. The integration tests in
tests/service/scale/ start the same Stack, so what `make run-scaled` runs is what they check.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis
from sqlalchemy import create_engine, make_url, text

from service.config import get_settings

BIN = Path(sys.executable).parent
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/advisor_scaled"
DEFAULT_REDIS = "redis://127.0.0.1:6379/5"


def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM when this script dies, even by SIGKILL, so nothing is left running."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # 1 = PR_SET_PDEATHSIG


@dataclass
class Child:
    """One process of the stack, with its own log file."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            # Its own session: Ctrl-C reaches this script only, which then stops the children in order.
            self.process = subprocess.Popen(
                self.argv, env=self.env, stdout=out, stderr=out, start_new_session=True, preexec_fn=_die_with_parent
            )

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """SIGKILL, as a crash or an OOM kill would end it."""
        if self.process is not None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self, timeout: float = 20.0) -> None:
        if not self.running():
            return
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def tail(self, chars: int = 2000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""


def wait_until(check: Callable[[], bool], child: Child, what: str, timeout: float) -> None:
    """Poll ``check`` until it holds; fail early with the child's log when it died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.running():
            raise RuntimeError(f"{child.name} exited while waiting for {what}:\n{child.tail()}")
        with contextlib.suppress(httpx.HTTPError):
            if check():
                return
        time.sleep(0.2)
    raise RuntimeError(f"{child.name}: {what} did not happen within {timeout:.0f} s:\n{child.tail()}")


@dataclass
class Stack:
    """Chroma server, worker and N API processes with one shared environment."""

    data_dir: Path
    database_url: str
    redis_url: str
    api_ports: tuple[int, ...]
    worker_port: int
    chroma_port: int
    host: str = "127.0.0.1"
    extra_env: dict[str, str] = field(default_factory=dict)
    children: list[Child] = field(default_factory=list)

    @property
    def chroma_url(self) -> str:
        return f"http://{self.host}:{self.chroma_port}"

    @property
    def worker_url(self) -> str:
        return f"http://{self.host}:{self.worker_port}"

    @property
    def api_urls(self) -> list[str]:
        return [f"http://{self.host}:{port}" for port in self.api_ports]

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "ADVISOR_DATA_DIR": str(self.data_dir.resolve()),
            "ADVISOR_DATABASE_URL": self.database_url,
            "ADVISOR_REDIS_URL": self.redis_url,
            "ADVISOR_CHROMA_URL": self.chroma_url,
            "ADVISOR_WORKER_URL": self.worker_url,
            "ADVISOR_WORKER_HOST": self.host,
            "ADVISOR_WORKER_PORT": str(self.worker_port),
            "HF_HUB_OFFLINE": "1",
            "TRANSFORMERS_OFFLINE": "1",
            **self.extra_env,
        }

    def _child(self, name: str, argv: list[str]) -> Child:
        child = Child(name, argv, self.env(), self.data_dir / "logs" / f"{name}.log")
        self.children.append(child)
        child.start()
        return child

    def start_chroma(self, timeout: float = 60.0) -> Child:
        chroma = str(BIN / "chroma")
        path = str(self.data_dir / "chroma-server")
        child = self._child("chroma", [chroma, "run", "--path", path, "--host", self.host, "--port", str(self.chroma_port)])
        wait_until(lambda: httpx.get(f"{self.chroma_url}/api/v2/heartbeat", timeout=2).is_success, child, "heartbeat", timeout)
        return child

    def start_worker(self, timeout: float = 120.0) -> Child:
        child = self._child("worker", [sys.executable, "-m", "service.worker"])
        wait_until(lambda: httpx.post(f"{self.worker_url}/health", json={}, timeout=2).is_success, child, "health", timeout)
        return child

    def start_api(self, port: int, timeout: float = 60.0) -> Child:
        argv = [sys.executable, "-m", "uvicorn", "service.main:create_app", "--factory", "--host", self.host]
        argv.append("--no-proxy-headers")  # X-Forwarded-For is trusted only from ADVISOR_TRUSTED_PROXIES, by the app
        argv += ["--timeout-keep-alive", str(get_settings().keep_alive_seconds)]  # as `advisor serve`
        child = self._child(f"api-{port}", [*argv, "--port", str(port), "--log-level", "warning"])
        url = f"http://{self.host}:{port}"
        wait_until(lambda: httpx.get(f"{url}/readyz", timeout=2).status_code == 200, child, "/readyz", timeout)
        return child

    def start(self) -> None:
        """Everything, in dependency order; each part is ready before the next starts."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        try:
            self.start_chroma()
            self.start_worker()
            for port in self.api_ports:
                self.start_api(port)
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()
        self.children.clear()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if it does not exist (the server must be up)."""
    target = make_url(url)
    if target.get_backend_name() != "postgresql" or not target.database:
        return
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": target.database})
            if exists.scalar() is None:
                connection.execute(text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def check_redis(url: str) -> None:
    redis.Redis.from_url(url, socket_connect_timeout=3).ping()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir", type=Path, default=Path("data-scaled"), help="shared uploads, logs, chroma-server/")
    parser.add_argument("--database-url", default=os.environ.get("ADVISOR_DATABASE_URL", DEFAULT_DATABASE))
    parser.add_argument("--redis-url", default=os.environ.get("ADVISOR_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--api-ports", default="8001,8002", help="one API process per port")
    parser.add_argument("--worker-port", type=int, default=8101)
    parser.add_argument("--chroma-port", type=int, default=8100)
    args = parser.parse_args(argv)
    try:
        ensure_database(args.database_url)
        check_redis(args.redis_url)
    except Exception as exc:
        print(f"run-scaled: PostgreSQL or Redis is not reachable ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    ports = tuple(int(port) for port in args.api_ports.split(","))
    stack = Stack(args.data_dir, args.database_url, args.redis_url, ports, args.worker_port, args.chroma_port)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        stack.start()
        print(f"chroma  {stack.chroma_url}\nworker  {stack.worker_url}")
        for url in stack.api_urls:
            print(f"api     {url}  (docs {url}/docs, ready {url}/readyz)")
        print(f"logs    {args.data_dir / 'logs'}/\nCtrl-C stops everything.", flush=True)
        while all(child.running() for child in stack.children):
            time.sleep(0.5)
        dead = next(child for child in stack.children if not child.running())
        print(f"run-scaled: {dead.name} exited; stopping the rest.\n{dead.tail()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    except RuntimeError as exc:
        print(f"run-scaled: {exc}", file=sys.stderr)
        return 1
    finally:
        stack.stop()


if __name__ == "__main__":
    sys.exit(main())
