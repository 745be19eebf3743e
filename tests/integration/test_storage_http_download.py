"""http.download in real flows against a local HTTP server: the body streamed into internal
storage, its name, and the failures (an error status, an empty body, no server)."""

from __future__ import annotations

import hashlib
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from headway.state import State
from headway.testing import run_flow

BIG = b"0123456789abcdef" * 200_000  # 3.2 MB, sent in chunks


class _Handler(BaseHTTPRequestHandler):
    def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(code)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/export":
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Disposition", 'attachment; filename="dump 2024.bin"')
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for start in range(0, len(BIG), 100_000):
                chunk = BIG[start : start + 100_000]
                self.wfile.write(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif self.path == "/files/rows.csv?v=2":
            self._send(200, b"id,name\n1,Ada\n", {"Content-Type": "text/csv", "X-Rows": "1"})
        elif self.path == "/empty":
            self._send(200, b"")
        else:
            self._send(404, b"no such file", {"Content-Type": "text/plain"})

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._send(200, b"echo:" + body, {"Content-Type": "text/plain"})

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def url() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


async def test_a_large_body_is_streamed_into_storage(url: str) -> None:
    flow = f"""
id: download
namespace: company.team
tasks:
  - id: get
    type: io.kestra.plugin.core.http.Download
    uri: {url}/export
  - id: check
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      dump.bin: "{{{{ outputs.get.uri }}}}"
    commands:
      - wc -c < dump.bin | tr -d ' '
      - sha256sum dump.bin | cut -c1-16
"""
    result = await run_flow(flow)
    assert result.state is State.SUCCESS, result.messages()
    outputs = result.outputs("get")
    tr = result.task_run("get")
    assert outputs["uri"].endswith(f"/tasks/get/{tr.id}/dump 2024.bin")
    assert outputs["code"] == 200
    assert outputs["length"] == len(BIG)
    assert outputs["headers"]["Content-Type"] == ["application/octet-stream"]
    assert str(len(BIG)) in result.messages("INFO")
    assert hashlib.sha256(BIG).hexdigest()[:16] in result.messages("INFO")


async def test_the_name_comes_from_the_path_or_save_as(url: str) -> None:
    flow = f"""
id: download_names
namespace: company.team
tasks:
  - id: by_path
    type: io.kestra.plugin.fs.http.Download
    uri: {url}/files/rows.csv?v=2
  - id: saved_as
    type: io.kestra.plugin.core.http.Download
    uri: {url}/files/rows.csv?v=2
    saveAs: people.csv
  - id: posted
    type: io.kestra.plugin.core.http.Download
    uri: {url}/echo
    method: POST
    contentType: text/plain
    body: hello
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ read(outputs.saved_as.uri) | trim }}}} / {{{{ read(outputs.posted.uri) }}}}"
"""
    result = await run_flow(flow)
    assert result.state is State.SUCCESS, result.messages()
    assert result.outputs("by_path")["uri"].endswith("/rows.csv")
    assert result.outputs("by_path")["headers"]["X-Rows"] == ["1"]
    assert result.outputs("saved_as")["uri"].endswith("/people.csv")
    assert result.outputs("posted")["uri"].endswith("/echo")
    assert "id,name\n1,Ada / echo:hello" in result.messages("INFO")


async def test_an_error_status_fails_unless_allowed(url: str) -> None:
    flow = f"""
id: download_missing
namespace: company.team
tasks:
  - id: allowed
    type: io.kestra.plugin.core.http.Download
    uri: {url}/nope
    options:
      allowFailed: true
  - id: strict
    type: io.kestra.plugin.core.http.Download
    uri: {url}/nope
"""
    result = await run_flow(flow)
    assert result.state is State.FAILED
    assert result.outputs("allowed")["code"] == 404
    assert result.outputs("allowed")["length"] == len(b"no such file")
    assert any("failed with HTTP 404 Not Found" in m for m in result.messages("ERROR"))


async def test_an_empty_body_fails_unless_accepted(url: str) -> None:
    flow = f"""
id: download_empty
namespace: company.team
tasks:
  - id: accepted
    type: io.kestra.plugin.core.http.Download
    uri: {url}/empty
    failOnEmptyResponse: false
  - id: strict
    type: io.kestra.plugin.core.http.Download
    uri: {url}/empty
"""
    result = await run_flow(flow)
    assert result.state is State.FAILED
    assert result.outputs("accepted")["length"] == 0
    assert any("the response is empty" in m for m in result.messages("ERROR"))


async def test_no_server_is_a_clear_failure() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    flow = f"""
id: download_nowhere
namespace: company.team
tasks:
  - id: get
    type: io.kestra.plugin.core.http.Download
    uri: http://127.0.0.1:{port}/x
"""
    result = await run_flow(flow)
    assert result.state is State.FAILED
    assert any("could not connect: connection refused" in m for m in result.messages("ERROR"))
