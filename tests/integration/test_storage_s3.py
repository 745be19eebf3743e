"""Flows on S3-compatible internal storage (a local moto server): FILE inputs, script
output and input files, storage tasks, namespace files and read(), all in the bucket under
Kestra's layout."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from headway.settings import Settings
from headway.state import State
from headway.storage import FileUpload, S3Storage, open_storage
from headway.testing import run_flow
from s3_support import S3


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with S3.s3_server() as url:
        yield url


@pytest.fixture
def settings(endpoint: str, tmp_path: Path, request: pytest.FixtureRequest) -> Settings:
    bucket = f"headway-{request.node.name.replace('_', '-')[:40].lower()}"
    S3.create_bucket(endpoint, bucket)
    values: dict[str, Any] = {
        "home": tmp_path,
        "lease_seconds": 5.0,
        "storage_type": "s3",
        "storage_s3_bucket": bucket,
        "storage_s3_endpoint": endpoint,
        "storage_s3_region": S3.REGION,
        "storage_s3_access_key": S3.ACCESS_KEY,
        "storage_s3_secret_key": S3.SECRET_KEY,
    }
    return Settings.load(values, environ={})


def _keys(settings: Settings) -> list[str]:
    storage = open_storage(settings)
    assert isinstance(storage, S3Storage)
    listed = storage.client().list_objects_v2(Bucket=settings.storage_s3_bucket)
    return sorted(item["Key"] for item in listed.get("Contents", []))


async def test_files_of_a_flow_live_in_the_bucket(settings: Settings) -> None:
    flow = """
id: on_s3
namespace: company.team
inputs:
  - id: data
    type: FILE
tasks:
  - id: make
    type: io.kestra.plugin.scripts.shell.Commands
    inputFiles:
      in.csv: "{{ inputs.data }}"
    outputFiles: [out.csv]
    commands:
      - tr a-z A-Z < in.csv > out.csv
  - id: split
    type: io.kestra.plugin.core.storage.Split
    from: "{{ outputs.make.outputFiles['out.csv'] }}"
    rows: 1
  - id: concat
    type: io.kestra.plugin.core.storage.Concat
    files: "{{ outputs.split.uris }}"
  - id: log
    type: io.kestra.plugin.core.log.Log
    message: "{{ read(outputs.concat.uri) | trim }} ({{ fileSize(outputs.concat.uri) }} bytes)"
"""
    result = await run_flow(
        flow, {"data": FileUpload("rows.csv", b"id,name\n1,ada\n")}, settings=settings
    )
    assert result.state is State.SUCCESS, result.messages()
    assert "ID,NAME\n1,ADA (14 bytes)" in result.messages("INFO")
    execution = result.execution.id
    base = f"main/company/team/on_s3/executions/{execution}"
    keys = _keys(settings)
    assert f"{base}/inputs/data/rows.csv" in keys
    assert f"{base}/tasks/make/{result.task_run('make').id}/out.csv" in keys
    assert len([k for k in keys if f"/tasks/split/{result.task_run('split').id}/" in k]) == 2
    assert not (settings.home / "storage").exists()


async def test_a_python_script_reads_a_namespace_file_from_the_bucket(
    settings: Settings,
) -> None:
    flow = """
id: ns_on_s3
namespace: company.team
tasks:
  - id: upload
    type: io.kestra.plugin.core.namespace.UploadFiles
    namespace: company.team
    filesMap:
      etl/main.py: |
        with open("etl/config.txt") as f:
            print("config says " + f.read().strip())
      etl/config.txt: "hello from S3"
  - id: run
    type: io.kestra.plugin.scripts.python.Commands
    namespaceFiles:
      enabled: true
    commands: ["python3 etl/main.py"]
  - id: read
    type: io.kestra.plugin.core.log.Log
    message: "{{ read('etl/config.txt') }}"
"""
    result = await run_flow(flow, settings=settings)
    assert result.state is State.SUCCESS, result.messages()
    assert "config says hello from S3" in result.messages("INFO")
    assert "main/company/team/_files/etl/config.txt" in _keys(settings)


async def test_a_missing_bucket_fails_the_task_clearly(settings: Settings) -> None:
    broken = settings.with_(storage_s3_bucket="no-such-bucket")
    flow = """
id: no_bucket
namespace: company.team
tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: x
"""
    result = await run_flow(flow, settings=broken)
    assert result.state is State.FAILED
    assert any(
        "S3 bucket 'no-such-bucket'" in m and "does not exist" in m
        for m in result.messages("ERROR")
    ), result.messages()
    assert not any(S3.SECRET_KEY in m for m in result.messages())
