"""The API's HTTP transport to the worker, against a real socket server: reuse, stale sockets, refusals, timeouts."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from service.worker.transport import Gone, Late, Pool


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as uvicorn answers

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["content-length"]))
        server: Server = self.server  # type: ignore[assignment]
        server.seen.append((self.path, self.headers.get("authorization"), body))
        if self.path == "/slow":
            time.sleep(1.0)
        if self.path == "/garbage":
            self.wfile.write(b"this is not HTTP\r\n\r\n")
            self.close_connection = True
            return
        answer = b'{"ok": true}'
        self.send_response(418 if self.path == "/teapot" else 200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, *args: object) -> None:
        pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.seen: list[tuple[str, str | None, bytes]] = []
        self.connections: list[socket.socket] = []

    def get_request(self) -> tuple[socket.socket, object]:
        sock, address = super().get_request()
        self.connections.append(sock)
        return sock, address

    def drop_connections(self) -> None:
        """Close every accepted connection from the server's side, as uvicorn does with idle keep-alives."""
        for sock in self.connections:
            sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    thread = threading.Thread(target=running.serve_forever, daemon=True)
    thread.start()
    yield running
    running.shutdown()
    running.server_close()


def url(server: Server, path: str = "/op") -> str:
    return f"http://127.0.0.1:{server.server_address[1]}{path}"


def test_calls_share_one_kept_alive_connection_and_send_the_headers(server: Server) -> None:
    pool = Pool({"authorization": "Bearer s"}, connect_seconds=2, read_seconds=5)
    answers = [pool.post(url(server), b'{"n": %d}' % n) for n in range(5)]
    assert [(a.status, a.body) for a in answers] == [(200, b'{"ok": true}')] * 5
    assert len(server.connections) == 1
    assert [seen[2] for seen in server.seen] == [b'{"n": %d}' % n for n in range(5)]
    assert {seen[1] for seen in server.seen} == {"Bearer s"}
    pool.close()


def test_a_connection_the_worker_closed_while_idle_is_replaced_not_reported(server: Server) -> None:
    pool = Pool({}, connect_seconds=2, read_seconds=5)
    assert pool.post(url(server), b"{}").status == 200
    server.drop_connections()
    time.sleep(0.05)
    assert pool.post(url(server), b"{}").status == 200
    assert len(server.connections) == 2
    assert len(server.seen) == 2  # sent once each: the dead socket was noticed before sending


def test_other_statuses_come_back_as_answers(server: Server) -> None:
    answer = Pool({}, connect_seconds=2, read_seconds=5).post(url(server, "/teapot"), b"{}")
    assert (answer.status, answer.body) == (418, b'{"ok": true}')


def test_nothing_listening_is_gone() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(Gone):
        Pool({}, connect_seconds=1, read_seconds=1).post(f"http://127.0.0.1:{port}/op", b"{}")


def test_a_reply_that_is_not_http_is_gone(server: Server) -> None:
    with pytest.raises(Gone):
        Pool({}, connect_seconds=2, read_seconds=5).post(url(server, "/garbage"), b"{}")


def test_a_worker_that_takes_the_request_and_does_not_answer_in_time_is_late(server: Server) -> None:
    pool = Pool({}, connect_seconds=2, read_seconds=5)
    with pytest.raises(Late):
        pool.post(url(server, "/slow"), b"{}", timeout=0.2)
    assert pool.post(url(server), b"{}").status == 200  # the late connection was not given back half-read


def test_a_new_address_drops_the_connections_kept_for_the_old_one(server: Server) -> None:
    other = Server()
    threading.Thread(target=other.serve_forever, daemon=True).start()
    try:
        pool = Pool({}, connect_seconds=2, read_seconds=5)
        pool.post(url(server), b"{}")
        pool.post(url(other), b"{}")
        assert list(pool._idle) == [("http", "127.0.0.1", other.server_address[1])]
    finally:
        other.shutdown()
        other.server_close()


def test_an_address_that_is_not_http_is_refused_as_gone() -> None:
    with pytest.raises(Gone):
        Pool({}, connect_seconds=1, read_seconds=1).post("ftp://127.0.0.1/op", b"{}")
