"""A local HTTP server (stdlib, in a thread) that the Request task is run against."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest


@dataclass
class Received:
    """A request the server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Server:
    url: str
    received: list[Received] = field(default_factory=list)


class _Handler(BaseHTTPRequestHandler):
    server: _HTTPServer

    def _reply(
        self, code: int, body: bytes = b"", headers: list[tuple[str, str]] | None = None
    ) -> None:
        self.send_response(code)
        for name, value in headers or []:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, code: int, value: Any) -> None:
        self._reply(code, json.dumps(value).encode(), [("Content-Type", "application/json")])

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.state.received.append(Received(self.command, self.path, headers, body))
        if self.path == "/json":
            self._reply(
                200,
                b'{"name": "Ada", "items": [1, 2]}',
                [("Content-Type", "application/json"), ("X-Tag", "a"), ("X-Tag", "b")],
            )
        elif self.path == "/echo":
            self._json(200, {"method": self.command, "body": body.decode()})
        elif self.path == "/redirect":
            self._reply(302, headers=[("Location", "/json")])
        elif self.path.startswith("/status/"):
            self._reply(int(self.path.rsplit("/", 1)[1]), b"not here")
        elif self.path == "/slow":
            time.sleep(1.5)
            self._reply(200, b"late")
        elif self.path == "/empty":
            self._reply(204)
        else:
            self._reply(404, b"no route")

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, state: Server) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # a client that timed out and left: nothing to report


@pytest.fixture
def server() -> Iterator[Server]:
    state = Server(url="")
    httpd = _HTTPServer(state)
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()
