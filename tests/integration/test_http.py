"""http.request in real flows (engine, worker, SQLite store) against a local HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from headway.state import State
from headway.testing import run_flow


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _send(self, code: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/user":
            self._send(200, b'{"user": {"name": "Ada", "roles": ["admin", "ops"]}}')
        elif self.path == "/flaky":
            self.server.flaky_calls += 1
            if self.server.flaky_calls <= 2:
                self._send(503, b"busy", "text/plain")
            else:
                self._send(200, b'{"ok": true}')
        else:
            self._send(404, b"no route", "text/plain")

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.posted.append((self.headers.get("Content-Type") or "", body))
        self._send(201, json.dumps({"received": json.loads(body)}).encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.flaky_calls = 0
        self.posted: list[tuple[str, bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


async def test_a_json_response_read_by_the_next_task(server: _Server) -> None:
    flow = f"""
id: get_user
namespace: company.team
tasks:
  - id: get
    type: io.kestra.plugin.core.http.Request
    uri: {server.url}/user
  - id: greet
    type: io.kestra.plugin.core.log.Log
    message: "Hello {{{{ fromJson(outputs.get.body).user.name }}}}, \
{{{{ (outputs.get.body | fromJson).user.roles | length }}}} roles, code {{{{ outputs.get.code }}}}"
"""
    result = await run_flow(flow)
    assert result.state is State.SUCCESS, result.messages()
    assert "Hello Ada, 2 roles, code 200" in result.messages()
    outputs = result.outputs("get")
    assert outputs["body"] == '{"user": {"name": "Ada", "roles": ["admin", "ops"]}}'
    assert outputs["headers"]["Content-Type"] == ["application/json"]


async def test_a_post_of_a_json_body_rendered_from_inputs(server: _Server) -> None:
    flow = f"""
id: post_payload
namespace: company.team
inputs:
  - id: title
    type: STRING
  - id: priority
    type: INT
    defaults: 5
tasks:
  - id: send
    type: io.kestra.plugin.core.http.Request
    uri: {server.url}/items
    method: POST
    contentType: application/json
    body: |
      {{{{ {{"title": inputs.title, "priority": inputs.priority}} | toJson }}}}
  - id: done
    type: io.kestra.plugin.core.log.Log
    message: "{{{{ outputs.send.code }}}} {{{{ fromJson(outputs.send.body).received.title }}}}"
"""
    result = await run_flow(flow, {"title": 'Pen "deluxe"'})
    assert result.state is State.SUCCESS, result.messages()
    content_type, body = server.posted[0]
    assert content_type == "application/json"
    assert json.loads(body) == {"title": 'Pen "deluxe"', "priority": 5}
    assert '201 Pen "deluxe"' in result.messages()


async def test_a_retry_policy_outlasts_a_flaky_endpoint(server: _Server) -> None:
    flow = f"""
id: flaky
namespace: company.team
tasks:
  - id: call
    type: io.kestra.core.tasks.http.Request
    uri: {server.url}/flaky
    retry:
      type: constant
      interval: PT0.05S
      maxAttempts: 5
"""
    result = await run_flow(flow)
    assert result.state is State.SUCCESS, result.messages()
    task_run = result.task_run("call")
    assert len(task_run.attempts) == 3
    assert task_run.outputs == {
        "uri": f"{server.url}/flaky",
        "code": 200,
        "headers": task_run.outputs["headers"],
        "body": '{"ok": true}',
    }
    assert server.flaky_calls == 3
