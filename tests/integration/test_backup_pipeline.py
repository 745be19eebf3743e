"""The steps of ``shared/seed-flows/backup-pipeline.yaml``, run here until its S3 Upload and
Slack plugins exist (a later issue): the dump on the Process runner against the local
PostgreSQL (``outputFiles``), its upload with a PUT to a local S3-compatible server (moto's),
and the notification posted to a local stand-in for Slack's incoming webhook, whose URL comes
from ``{{ envs.SLACK_WEBHOOK }}`` (``ENV_SLACK_WEBHOOK``).

The upload is a Python script (urllib) because ``http.request`` sends text bodies only, and
the dump is gzip. Skipped when PostgreSQL cannot be reached, failed instead under
``HEADWAY_REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import gzip
import importlib.util
import json
import os
import shutil
import threading
from collections.abc import Iterator
from datetime import UTC
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import Any

import psycopg
import pytest

from headway.settings import Settings
from headway.state import State
from headway.testing import run_flow
from postgres_db import DEFAULT_ADMIN_URL, require_service


def _load_s3_helper() -> ModuleType:
    # The launcher of the storage tests' S3-compatible server (tests/unit/storage/s3_server.py).
    path = Path(__file__).parents[1] / "unit" / "storage" / "s3_server.py"
    spec = importlib.util.spec_from_file_location("headway_tests_backup_s3_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


S3 = _load_s3_helper()
BUCKET = "backups"

FLOW = """
id: backup-pipeline
namespace: platform.ops

tasks:
  - id: snapshot-databases
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    retry:                       # a database dropped while pg_dumpall runs fails the dump
      type: constant
      interval: PT1S
      maxAttempts: 3
    outputFiles:
      - backup.sql.gz
    commands:
      - pg_dumpall -h 127.0.0.1 -U postgres > backup.sql && gzip backup.sql

  - id: upload-to-s3
    type: io.kestra.plugin.scripts.python.Script
    inputFiles:
      backup.sql.gz: "{{ outputs['snapshot-databases'].outputFiles['backup.sql.gz'] }}"
    env:
      URL: "{{ envs.S3_ENDPOINT }}/backups/db/{{ execution.startDate | date('yyyy-MM-dd') }}.sql.gz"
    script: |
      import os, urllib.request
      from headway import Kestra
      with open("backup.sql.gz", "rb") as f:
          data = f.read()
      request = urllib.request.Request(os.environ["URL"], data=data, method="PUT")
      request.add_header("Content-Type", "application/gzip")
      with urllib.request.urlopen(request, timeout=30) as response:
          print("uploaded", len(data), "bytes:", response.status)
          Kestra.outputs({"status": response.status, "bytes": len(data)})

  - id: notify
    type: io.kestra.plugin.core.http.Request
    uri: "{{ envs.SLACK_WEBHOOK }}"
    method: POST
    contentType: application/json
    body: |
      {"text": "✅ Database backup completed"}
"""


class _Slack(BaseHTTPRequestHandler):
    server: _SlackServer

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.server.posted.append((self.path, json.loads(body)))
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _SlackServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Slack)
        self.posted: list[tuple[str, Any]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/services/T000/B000/XXXX"


@pytest.fixture
def slack() -> Iterator[_SlackServer]:
    httpd = _SlackServer()
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def postgres() -> None:
    url = os.environ.get("HEADWAY_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)
    if shutil.which("pg_dumpall") is None:
        require_service("pg_dumpall is not installed")
    try:
        psycopg.connect(url, connect_timeout=3).close()
    except psycopg.OperationalError as exc:
        require_service(f"PostgreSQL is not reachable ({exc})".strip())


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with S3.s3_server() as endpoint:
        S3.create_bucket(endpoint, BUCKET)
        yield endpoint


async def test_the_backup_pipeline(
    postgres: None, s3_endpoint: str, slack: _SlackServer, tmp_path: Path
) -> None:
    settings = Settings.load(
        {"home": tmp_path, "lease_seconds": 30.0},
        environ={"ENV_SLACK_WEBHOOK": slack.url, "ENV_S3_ENDPOINT": s3_endpoint},
    )
    result = await run_flow(FLOW, settings=settings)
    assert result.state is State.SUCCESS, result.messages("ERROR")

    stored = result.outputs("snapshot-databases")["outputFiles"]
    assert list(stored) == ["backup.sql.gz"]
    assert stored["backup.sql.gz"].startswith("kestra:///platform/ops/backup-pipeline/executions/")
    upload = result.outputs("upload-to-s3")["vars"]
    assert upload["status"] == 200

    import boto3

    client = boto3.session.Session().client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=S3.REGION,
        aws_access_key_id=S3.ACCESS_KEY,
        aws_secret_access_key=S3.SECRET_KEY,
    )
    day = result.execution.state.start_date.astimezone(UTC).strftime("%Y-%m-%d")
    listed = client.list_objects_v2(Bucket=BUCKET, Prefix="db/")
    assert [item["Key"] for item in listed.get("Contents", [])] == [f"db/{day}.sql.gz"]
    stored_object = client.get_object(Bucket=BUCKET, Key=f"db/{day}.sql.gz")["Body"].read()
    assert len(stored_object) == upload["bytes"]
    dump = gzip.decompress(stored_object).decode()
    assert "PostgreSQL database cluster dump" in dump
    assert "CREATE ROLE" in dump

    assert slack.posted == [("/services/T000/B000/XXXX", {"text": "✅ Database backup completed"})]
