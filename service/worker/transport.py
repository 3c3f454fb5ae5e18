"""Keep-alive HTTP/1.1 POSTs to the worker over the standard library's http.client.

The API sends every search through here, so its cost is on every search's path: httpx spent ~0.7 ms of CPU per
call on loopback where http.client spends ~0.2 ms (measured side by side against one worker; docs/benchmarks.md).
The worker's operations are few, JSON in and out, and idempotent, which is all this needs to know.

Two failures matter to the caller and are told apart:

- ``Gone``: the request did not get an answer because nothing answered: refused, reset, a kept-alive connection the
  worker had closed, a connect timeout. Sending it again is safe (every operation is idempotent).
- ``Late``: the worker took the request and did not answer within the read timeout. It is alive and busy.
"""

from __future__ import annotations

import http.client
import select
import socket
import threading
from dataclasses import dataclass
from urllib.parse import urlsplit

IDLE_PER_ORIGIN = 16  # connections kept open between calls; more are closed after use


class Gone(Exception):
    """Nothing answered: sending the request again is safe."""


class Late(Exception):
    """The worker took the request and did not answer in time."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


Origin = tuple[str, str, int]  # scheme, host, port


def _readable(sock: socket.socket) -> bool:
    """True when an idle connection has something to read: the peer's close, in practice."""
    try:
        return bool(select.select([sock], [], [], 0)[0])
    except (OSError, ValueError):
        return True


def _origin(url: str) -> tuple[Origin, str]:
    """The origin a URL names and its path (without a trailing slash)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Gone(f"not an http(s) address: {url!r}")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return (parts.scheme, parts.hostname, port), parts.path.rstrip("/")


class Pool:
    """Thread-safe: each call borrows an idle connection to the URL's origin (or opens one) and gives it back."""

    def __init__(self, headers: dict[str, str], connect_seconds: float, read_seconds: float) -> None:
        self.headers = {"content-type": "application/json", "accept": "application/json", **headers}
        self.connect_seconds = connect_seconds
        self.read_seconds = read_seconds
        self._idle: dict[Origin, list[http.client.HTTPConnection]] = {}
        self._lock = threading.Lock()

    def post(self, url: str, body: bytes, *, timeout: float | None = None) -> Answer:
        origin, path = _origin(url)
        connection, reused = self._take(origin)
        try:
            return self._send(origin, connection, path, body, timeout)
        except Gone:
            if not reused:
                raise
        # A kept-alive connection the worker closed between the readiness check and the send (uvicorn closes idle
        # ones after 5 s): once more on a new connection, so one stale socket never looks like a worker that is down.
        return self._send(origin, self._open(origin), path, body, timeout)

    def _send(
        self, origin: Origin, connection: http.client.HTTPConnection, path: str, body: bytes, timeout: float | None
    ) -> Answer:
        try:
            if connection.sock is None:
                connection.connect()
            connection.sock.settimeout(self.read_seconds if timeout is None else timeout)
        except OSError as exc:  # refused, unreachable, a connect timeout
            connection.close()
            raise Gone(str(exc)) from exc
        try:
            connection.request("POST", path, body, self.headers)
            response = connection.getresponse()
            data = response.read()
        except TimeoutError as exc:
            connection.close()
            raise Late(str(exc)) from exc
        except (http.client.HTTPException, OSError) as exc:  # closed or reset, or a reply that is not HTTP
            connection.close()
            raise Gone(str(exc)) from exc
        if response.will_close:
            connection.close()
        else:
            self._give_back(origin, connection)
        return Answer(response.status, data)

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for connections in idle.values():
            for connection in connections:
                connection.close()

    def _take(self, origin: Origin) -> tuple[http.client.HTTPConnection, bool]:
        """An idle connection that is still open (and True), else a new one (and False)."""
        while True:
            with self._lock:
                waiting = self._idle.get(origin)
                connection = waiting.pop() if waiting else None
                stale = [key for key in self._idle if key != origin]  # a restarted worker listens on a new port
                old = [connection for key in stale for connection in self._idle.pop(key)]
            for closing in old:
                closing.close()
            if connection is None:
                return self._open(origin), False
            if connection.sock is not None and not _readable(connection.sock):
                return connection, True
            connection.close()  # readable while idle: the worker closed it (or sent something nobody asked for)

    def _open(self, origin: Origin) -> http.client.HTTPConnection:
        scheme, host, port = origin
        kind = http.client.HTTPSConnection if scheme == "https" else http.client.HTTPConnection
        return kind(host, port, timeout=self.connect_seconds)

    def _give_back(self, origin: Origin, connection: http.client.HTTPConnection) -> None:
        with self._lock:
            waiting = self._idle.setdefault(origin, [])
            if len(waiting) < IDLE_PER_ORIGIN:
                waiting.append(connection)
                return
        connection.close()
