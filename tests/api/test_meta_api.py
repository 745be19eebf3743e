"""The flow schema for editors, who the caller is, the workers, and an execution's files."""

from __future__ import annotations

from .conftest import Api

WRITES = """\
id: writes
namespace: demo
tasks:
  - id: make
    type: io.kestra.plugin.core.storage.Write
    content: "hello file"
    extension: .txt
"""


async def test_flow_schema_and_me(api: Api) -> None:
    schema = (await api.client.get("/api/v1/plugins/schemas/flow")).json()
    assert "io.kestra.plugin.core.log.Log" in str(schema)
    me = (await api.client.get("/api/v1/me")).json()
    assert me == {"name": "anonymous", "grants": [{"role": "admin", "namespace": ""}]}


async def test_workers_lists_the_registered_workers(api: Api) -> None:
    await api.create_flow(WRITES)
    await api.run("demo", "writes")  # the worker has registered (its first heartbeat)
    body = (await api.client.get("/api/v1/workers")).json()
    assert body["total"] == 1
    (worker,) = body["results"]
    assert worker["id"] == api.ctx.engine.worker.id
    assert worker["alive"] is True
    assert worker["group"] is None and worker["slots"] == api.ctx.engine.worker.slots
    assert set(worker) == {"id", "group", "slots", "host", "started", "heartbeat", "alive"}


async def test_an_execution_file_downloads_and_others_are_refused(api: Api) -> None:
    await api.create_flow(WRITES)
    execution = await api.run("demo", "writes")
    assert execution["state"]["current"] == "SUCCESS", execution
    uri = execution["taskRunList"][0]["outputs"]["uri"]
    url = f"/api/v1/executions/{execution['id']}/file"
    got = await api.client.get(url, params={"path": uri})
    assert got.status_code == 200 and got.content == b"hello file"
    assert "attachment" in got.headers["content-disposition"]
    other = await api.client.get(url, params={"path": "kestra:///demo/other/executions/x/a.txt"})
    assert other.status_code == 422 and "not a file of this execution" in other.json()["message"]
    missing = await api.client.get(url, params={"path": uri + ".gone"})
    assert missing.status_code == 404
