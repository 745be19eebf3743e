"""The namespace files API (Kestra's paths) on a real engine, reached in-process."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from headway.api.app import create_app
from headway.api.context import ServerContext
from headway.engine.engine import Engine
from headway.settings import Settings
from headway.store import open_store

FILES = "/api/v1/namespaces/company.team/files"


@pytest.fixture
async def client(tmp_path: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings.load({"home": tmp_path}, environ={})
    store = open_store(settings.database_url)
    await store.open()
    engine = Engine(store, settings)
    await engine.start()
    ctx = ServerContext(engine, settings, components={"executor": True, "worker": True})
    transport = httpx.ASGITransport(app=create_app(ctx))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://headway") as http:
            yield http
    finally:
        await engine.stop()
        await store.close()


async def _upload(client: httpx.AsyncClient, path: str, data: bytes) -> None:
    response = await client.post(
        FILES, params={"path": path}, files={"fileContent": ("x", data, "text/plain")}
    )
    assert response.status_code == 204, response.text


async def test_upload_read_list_stats_move_delete(client: httpx.AsyncClient) -> None:
    await _upload(client, "/scripts/etl.py", b"print('etl')")
    await _upload(client, "/README.md", b"# team")

    response = await client.get(FILES, params={"path": "/scripts/etl.py"})
    assert response.status_code == 200 and response.content == b"print('etl')"

    listing = (await client.get(f"{FILES}/directory", params={"path": "/"})).json()
    assert [(e["fileName"], e["type"], e["size"]) for e in listing] == [
        ("scripts", "Directory", 0),
        ("README.md", "File", 6),
    ]
    assert isinstance(listing[1]["lastModifiedTime"], int)
    assert (await client.get(f"{FILES}/directory")).json() == listing

    stats = (await client.get(f"{FILES}/stats", params={"path": "/scripts/etl.py"})).json()
    assert (stats["fileName"], stats["type"], stats["size"]) == ("etl.py", "File", 12)
    stats = (await client.get(f"{FILES}/stats", params={"path": "/scripts"})).json()
    assert stats["type"] == "Directory"

    moved = await client.put(FILES, params={"from": "/README.md", "to": "/docs/README.md"})
    assert moved.status_code == 204
    listing = (await client.get(f"{FILES}/directory", params={"path": "/docs"})).json()
    assert [e["fileName"] for e in listing] == ["README.md"]

    assert (await client.delete(FILES, params={"path": "/scripts"})).status_code == 204
    listing = (await client.get(f"{FILES}/directory")).json()
    assert [e["fileName"] for e in listing] == ["docs"]


async def test_bad_requests_name_the_problem(client: httpx.AsyncClient) -> None:
    missing = await client.get(FILES, params={"path": "/nope.txt"})
    assert missing.status_code == 404
    assert missing.json()["message"] == "no namespace file 'nope.txt' in namespace 'company.team'"

    no_dir = await client.get(f"{FILES}/directory", params={"path": "/nowhere"})
    assert no_dir.status_code == 404 and "no directory 'nowhere'" in no_dir.json()["message"]

    escape = await client.get(FILES, params={"path": "/../../etc/passwd"})
    assert escape.status_code == 400 and "'..' segment" in escape.json()["message"]

    bad_namespace = await client.get("/api/v1/namespaces/Bad..NS/files", params={"path": "a"})
    assert bad_namespace.status_code == 400
    assert "invalid namespace 'Bad..NS'" in bad_namespace.json()["message"]

    raw = await client.post(FILES, params={"path": "/a.txt"}, content=b"x")
    assert raw.status_code == 415 and "fileContent" in raw.json()["message"]

    no_path = await client.get(FILES)
    assert no_path.status_code == 422 and "path" in no_path.json()["message"]

    gone = await client.delete(FILES, params={"path": "/nothing"})
    assert gone.status_code == 404


async def test_a_flow_reads_a_file_uploaded_through_the_api(client: httpx.AsyncClient) -> None:
    await _upload(client, "/queries/count.sql", b"select count(*) from t")
    flow = """\
id: reader
namespace: company.team
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ read('queries/count.sql') }}"
"""
    created = await client.post(
        "/api/v1/flows", content=flow, headers={"Content-Type": "application/x-yaml"}
    )
    assert created.status_code == 200, created.text
    run = await client.post("/api/v1/executions/company.team/reader", params={"wait": "true"})
    assert run.status_code == 200, run.text
    execution = run.json()
    assert execution["state"]["current"] == "SUCCESS"
    logs = (await client.get(f"/api/v1/logs/{execution['id']}")).json()
    assert any(entry["message"] == "select count(*) from t" for entry in logs)
