"""Bulk actions, pause, force-run and the expression console through the API."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from .conftest import HELLO, Api
from .test_executions_api import SLOW, wait_for_state

TWO_STEPS = """\
id: two
namespace: demo
tasks:
  - id: first
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - sleep 1
  - id: second
    type: io.kestra.plugin.core.log.Log
    message: "second ran"
"""

LIMITED = """\
id: limited
namespace: demo
concurrency:
  limit: 1
  behavior: QUEUE
tasks:
  - id: sleep
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - sleep 60
"""


async def test_bulk_kill_and_delete_by_ids_and_query(api: Api) -> None:
    await api.create_flow(SLOW)
    await api.create_flow(HELLO)
    running = [(await api.client.post("/api/v1/executions/demo/slow")).json()["id"] for _ in "ab"]
    done = (await api.run("demo", "hello"))["id"]
    for execution_id in running:
        await wait_for_state(api, execution_id, "RUNNING")
    killed = await api.client.request(
        "DELETE", "/api/v1/executions/kill/by-ids", json={"ids": [*running, done, "nope"]}
    )
    assert killed.status_code == 200
    body = killed.json()
    assert body["count"] == 2
    assert {e["id"]: e["message"] for e in body["errors"]} == {
        done: "already ended SUCCESS",
        "nope": "execution 'nope' not found",
    }
    for execution_id in running:
        await wait_for_state(api, execution_id, "KILLED")
    deleted = await api.client.request(
        "DELETE", "/api/v1/executions/by-query", params={"flowId": "slow"}
    )
    assert deleted.json() == {"count": 2, "errors": []}
    left = (await api.client.get("/api/v1/executions/search")).json()
    assert [e["id"] for e in left["results"]] == [done]


async def test_pause_lets_running_tasks_finish_and_starts_nothing_new(api: Api) -> None:
    await api.create_flow(TWO_STEPS)
    started = (await api.client.post("/api/v1/executions/demo/two")).json()
    await wait_for_state(api, started["id"], "RUNNING")
    paused = await api.client.post(f"/api/v1/executions/{started['id']}/pause")
    assert paused.status_code == 202
    await wait_for_state(api, started["id"], "PAUSED")
    for _ in range(60):
        data = (await api.client.get(f"/api/v1/executions/{started['id']}")).json()
        first = data["taskRunList"][0]["state"]["current"]
        if first == "SUCCESS":
            break
        await asyncio.sleep(0.05)
    assert first == "SUCCESS"
    await asyncio.sleep(0.3)
    data = (await api.client.get(f"/api/v1/executions/{started['id']}")).json()
    assert data["state"]["current"] == "PAUSED"
    assert [tr["taskId"] for tr in data["taskRunList"]] == ["first"]
    again = await api.client.post(f"/api/v1/executions/{started['id']}/pause")
    assert again.status_code == 409
    resumed = await api.client.post(f"/api/v1/executions/{started['id']}/resume")
    assert resumed.status_code == 204
    done = await wait_for_state(api, started["id"], "SUCCESS")
    assert [tr["taskId"] for tr in done["taskRunList"]] == ["first", "second"]


async def test_force_run_starts_a_queued_execution(api: Api) -> None:
    await api.create_flow(LIMITED)
    first = (await api.client.post("/api/v1/executions/demo/limited")).json()
    await wait_for_state(api, first["id"], "RUNNING")
    second = (await api.client.post("/api/v1/executions/demo/limited")).json()
    await wait_for_state(api, second["id"], "QUEUED")
    forced = await api.client.post(f"/api/v1/executions/{second['id']}/force-run")
    assert forced.status_code == 202
    await wait_for_state(api, second["id"], "RUNNING")
    again = await api.client.post(f"/api/v1/executions/{second['id']}/force-run")
    assert again.status_code == 409 and "not QUEUED" in again.json()["message"]
    await api.client.request(
        "DELETE", "/api/v1/executions/kill/by-ids", json={"ids": [first["id"], second["id"]]}
    )
    await wait_for_state(api, second["id"], "KILLED")


async def test_expression_console_renders_as_the_task_run_sees_it(api: Api) -> None:
    await api.create_flow(HELLO)
    execution = await api.run("demo", "hello", json={"name": "Ada"})
    tr = execution["taskRunList"][0]
    path = f"/api/v1/executions/{execution['id']}/eval/{tr['id']}"
    rendered = await api.client.post(path, content="{{ inputs.name | upper }} at {{ task.id }}")
    assert rendered.json() == {"result": "ADA at greet", "error": None}
    broken = await api.client.post(path, content="{{ inputs.name | nosuchfilter }}")
    assert broken.status_code == 200
    assert "nosuchfilter" in broken.json()["error"]
    missing = await api.client.post(
        f"/api/v1/executions/{execution['id']}/eval/nope", content="{{ 1 }}"
    )
    assert missing.status_code == 404


async def test_expression_console_masks_secrets(api: Api) -> None:
    api.ctx.engine.env.secrets["TOKEN"] = "s3cr3t-value"
    api.ctx.engine.env.masker = api.ctx.engine.env.masker.with_secrets(["s3cr3t-value"])
    await api.create_flow(HELLO)
    execution = await api.run("demo", "hello")
    tr = execution["taskRunList"][0]
    path = f"/api/v1/executions/{execution['id']}/eval/{tr['id']}"
    rendered = (await api.client.post(path, content="{{ secret('TOKEN') }}")).json()
    assert "s3cr3t-value" not in str(rendered)


async def test_a_scheduled_execution_starts_at_its_date(api: Api) -> None:
    await api.create_flow(HELLO)
    at = datetime.now(UTC) + timedelta(seconds=1.5)
    created = await api.client.post(
        "/api/v1/executions/demo/hello", params={"scheduleDate": at.isoformat()}
    )
    assert created.status_code == 200
    body = created.json()
    assert body["scheduleDate"] is not None and body["state"]["current"] == "CREATED"
    await asyncio.sleep(0.5)
    early = (await api.client.get(f"/api/v1/executions/{body['id']}")).json()
    assert early["state"]["current"] == "CREATED"
    done = await wait_for_state(api, body["id"], "SUCCESS")
    started = datetime.fromisoformat(done["state"]["histories"][1]["date"].replace("Z", "+00:00"))
    assert started >= at
    bad = await api.client.post("/api/v1/executions/demo/hello", params={"scheduleDate": "later"})
    assert bad.status_code == 422 and "scheduleDate" in bad.json()["message"]


async def test_force_run_starts_a_scheduled_execution_now(api: Api) -> None:
    await api.create_flow(HELLO)
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    created = await api.client.post("/api/v1/executions/demo/hello", params={"scheduleDate": later})
    execution_id = created.json()["id"]
    forced = await api.client.post(f"/api/v1/executions/{execution_id}/force-run")
    assert forced.status_code == 202
    await wait_for_state(api, execution_id, "SUCCESS")


async def test_unqueue_starts_or_ends_a_queued_execution(api: Api) -> None:
    await api.create_flow(LIMITED)
    first = (await api.client.post("/api/v1/executions/demo/limited")).json()
    await wait_for_state(api, first["id"], "RUNNING")
    second = (await api.client.post("/api/v1/executions/demo/limited")).json()
    third = (await api.client.post("/api/v1/executions/demo/limited")).json()
    await wait_for_state(api, third["id"], "QUEUED")
    ended = await api.client.post(
        f"/api/v1/executions/{third['id']}/unqueue", params={"state": "KILLED"}
    )
    assert ended.status_code == 202
    await wait_for_state(api, third["id"], "KILLED")
    started = await api.client.post(f"/api/v1/executions/{second['id']}/unqueue")
    assert started.status_code == 202
    await wait_for_state(api, second["id"], "RUNNING")
    again = await api.client.post(f"/api/v1/executions/{second['id']}/unqueue")
    assert again.status_code == 409 and "not QUEUED" in again.json()["message"]
    bad = await api.client.post(
        f"/api/v1/executions/{first['id']}/unqueue", params={"state": "DONE"}
    )
    assert bad.status_code == 422
    await api.client.request(
        "DELETE", "/api/v1/executions/kill/by-ids", json={"ids": [first["id"], second["id"]]}
    )
    await wait_for_state(api, second["id"], "KILLED")


async def test_execution_graph_carries_the_task_runs(api: Api) -> None:
    await api.create_flow(TWO_STEPS)
    done = await api.run("demo", "two")
    graph = (await api.client.get(f"/api/v1/executions/{done['id']}/graph")).json()
    by_id = {node["id"]: node for node in graph["nodes"]}
    assert [run["state"] for run in by_id["first"]["taskRuns"]] == ["SUCCESS"]
    assert by_id["second"]["taskRuns"][0]["id"] == done["taskRunList"][1]["id"]
    assert graph["edges"] == [{"source": "first", "target": "second", "relation": "next"}]
