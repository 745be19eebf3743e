"""Executions through the API: run with inputs, search, follow, logs, actions."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from .conftest import HELLO, Api

APPROVAL = """\
id: approval
namespace: demo
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: "approved={{ outputs.wait.onResume.approved }}"
"""

SLOW = """\
id: slow
namespace: demo
tasks:
  - id: sleep
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - sleep 60
"""

FILES = """\
id: files
namespace: demo
inputs:
  - id: data
    type: FILE
tasks:
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ read(inputs.data) }}"
"""


def sse_events(text: str) -> list[tuple[str, Any]]:
    events = []
    for block in text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


async def wait_for_state(api: Api, execution_id: str, state: str) -> dict[str, Any]:
    for _ in range(200):
        data: dict[str, Any] = (await api.client.get(f"/api/v1/executions/{execution_id}")).json()
        if data["state"]["current"] == state:
            return data
        await asyncio.sleep(0.05)
    raise AssertionError(f"execution {execution_id} never became {state}: {data['state']}")


async def test_run_with_json_inputs_and_wait(api: Api) -> None:
    await api.create_flow(HELLO)
    execution = await api.run("demo", "hello", json={"name": "Ada"})
    assert execution["state"]["current"] == "SUCCESS"
    assert execution["outputs"] == {"greeting": "Hello Ada!"}
    assert execution["taskRunList"][0]["taskId"] == "greet"
    logs = (await api.client.get(f"/api/v1/logs/{execution['id']}")).json()
    assert logs[0]["message"] == "Hello Ada!" and logs[0]["taskId"] == "greet"


async def test_run_without_wait_answers_at_once(api: Api) -> None:
    await api.create_flow(HELLO)
    response = await api.client.post("/api/v1/executions/demo/hello", data={"name": "Bo"})
    assert response.status_code == 200
    assert response.json()["state"]["current"] == "CREATED"
    done = await wait_for_state(api, response.json()["id"], "SUCCESS")
    assert done["inputs"] == {"name": "Bo"}


async def test_run_with_a_file_upload(api: Api) -> None:
    await api.create_flow(FILES)
    execution = await api.run("demo", "files", files={"data": ("notes.txt", b"file content")})
    assert execution["state"]["current"] == "SUCCESS"
    assert execution["inputs"]["data"].startswith("kestra:///demo/files/executions/")
    logs = (await api.client.get(f"/api/v1/logs/{execution['id']}")).json()
    assert logs[0]["message"] == "file content"


async def test_bad_run_requests(api: Api) -> None:
    await api.create_flow(HELLO.replace("defaults: World", "validator: '[A-Z].*'"))
    missing = await api.client.post("/api/v1/executions/demo/nope")
    assert missing.status_code == 404 and "demo.nope" in missing.json()["message"]
    invalid = await api.client.post("/api/v1/executions/demo/hello", json={"name": "lower"})
    assert invalid.status_code == 422 and invalid.json()["input"] == "name"
    not_json = await api.client.post(
        "/api/v1/executions/demo/hello",
        content=b"{oops",
        headers={"Content-Type": "application/json"},
    )
    assert not_json.status_code == 400 and "not valid JSON" in not_json.json()["message"]
    bad_label = await api.client.post(
        "/api/v1/executions/demo/hello", params={"labels": "nocolon"}, json={"name": "Ada"}
    )
    assert bad_label.status_code == 422 and "key:value" in bad_label.json()["message"]
    found = (await api.client.get("/api/v1/executions/search")).json()
    assert found["total"] == 0


async def test_search_filters_and_pages(api: Api) -> None:
    await api.create_flow(HELLO)
    await api.create_flow(HELLO.replace("id: hello", "id: other"))
    for name in ("a", "b", "c"):
        await api.run("demo", "hello", json={"name": name}, params={"labels": f"team:{name}"})
    await api.run("demo", "other")
    everything = (await api.client.get("/api/v1/executions/search")).json()
    assert everything["total"] == 4
    by_flow = (await api.client.get("/api/v1/executions/search", params={"flowId": "hello"})).json()
    assert by_flow["total"] == 3
    by_label = (
        await api.client.get("/api/v1/executions/search", params={"labels": "team:b"})
    ).json()
    assert [e["inputs"]["name"] for e in by_label["results"]] == ["b"]
    page = (
        await api.client.get(
            "/api/v1/executions/search",
            params={"flowId": "hello", "size": 2, "page": 2, "sort": "state.startDate:asc"},
        )
    ).json()
    assert [e["inputs"]["name"] for e in page["results"]] == ["c"]
    failed = (await api.client.get("/api/v1/executions/search", params={"state": "FAILED"})).json()
    assert failed["total"] == 0
    bad_state = await api.client.get("/api/v1/executions/search", params={"state": "DONE"})
    assert bad_state.status_code == 422 and "'state'" in bad_state.json()["message"]
    bad_date = await api.client.get("/api/v1/executions/search", params={"startDate": "soon"})
    assert bad_date.status_code == 422 and "startDate" in bad_date.json()["message"]


async def test_follow_streams_until_the_end(api: Api) -> None:
    await api.create_flow(HELLO)
    started = await api.client.post("/api/v1/executions/demo/hello", json={"name": "Cy"})
    execution_id = started.json()["id"]
    followed = await api.client.get(f"/api/v1/executions/{execution_id}/follow")
    assert followed.headers["content-type"].startswith("text/event-stream")
    events = sse_events(followed.text)
    assert events[-1] == ("end", {"id": execution_id, "state": "SUCCESS"})
    assert events[-2][1]["state"]["current"] == "SUCCESS"
    logs = sse_events((await api.client.get(f"/api/v1/logs/{execution_id}/follow")).text)
    messages = [data["message"] for kind, data in logs if kind == "log"]
    assert messages[0] == "Hello Cy!" and logs[-1] == (
        "end",
        {"id": execution_id, "state": "SUCCESS"},
    )
    download = await api.client.get(f"/api/v1/logs/{execution_id}/download")
    assert "INFO  [greet] Hello Cy!" in download.text


async def test_resume_a_paused_execution(api: Api) -> None:
    await api.create_flow(APPROVAL)
    paused = await api.run("demo", "approval")
    assert paused["state"]["current"] == "PAUSED"
    execution_id = paused["id"]
    wrong = await api.client.post(
        f"/api/v1/executions/{execution_id}/resume", json={"approved": "maybe"}
    )
    assert wrong.status_code == 422 and wrong.json()["input"] == "approved"
    resumed = await api.client.post(
        f"/api/v1/executions/{execution_id}/resume", data={"approved": "true"}
    )
    assert resumed.status_code == 204
    done = await wait_for_state(api, execution_id, "SUCCESS")
    assert done["taskRunList"][0]["outputs"]["onResume"] == {"approved": True}
    again = await api.client.post(f"/api/v1/executions/{execution_id}/resume")
    assert again.status_code == 409 and "not PAUSED" in again.json()["message"]


async def test_kill_stops_a_running_execution(api: Api) -> None:
    await api.create_flow(SLOW)
    started = (await api.client.post("/api/v1/executions/demo/slow")).json()
    await wait_for_state(api, started["id"], "RUNNING")
    killed = await api.client.delete(f"/api/v1/executions/{started['id']}/kill")
    assert killed.status_code == 202
    done = await wait_for_state(api, started["id"], "KILLED")
    assert done["taskRunList"][0]["state"]["current"] == "KILLED"
    again = await api.client.delete(f"/api/v1/executions/{started['id']}/kill")
    assert again.status_code == 409


async def test_labels_and_delete(api: Api) -> None:
    await api.create_flow(HELLO)
    execution = await api.run("demo", "hello")
    execution_id = execution["id"]
    response = await api.client.post(
        f"/api/v1/executions/{execution_id}/labels", json=[{"key": "env", "value": "prod"}]
    )
    assert response.status_code == 200
    for _ in range(100):
        labels = (await api.client.get(f"/api/v1/executions/{execution_id}")).json()["labels"]
        if labels:
            break
        await asyncio.sleep(0.02)
    assert labels == [{"key": "env", "value": "prod"}]
    replaced = await api.client.post(
        f"/api/v1/executions/{execution_id}/labels",
        params={"replace": "true"},
        json=[{"key": "team", "value": "ops"}],
    )
    assert replaced.status_code == 200
    for _ in range(100):
        labels = (await api.client.get(f"/api/v1/executions/{execution_id}")).json()["labels"]
        if labels == [{"key": "team", "value": "ops"}]:
            break
        await asyncio.sleep(0.02)
    assert labels == [{"key": "team", "value": "ops"}]
    empty_key = await api.client.post(
        f"/api/v1/executions/{execution_id}/labels", json=[{"key": " ", "value": "x"}]
    )
    assert empty_key.status_code == 422
    assert (await api.client.delete(f"/api/v1/executions/{execution_id}")).status_code == 204
    gone = await api.client.get(f"/api/v1/executions/{execution_id}")
    assert gone.status_code == 404 and execution_id in gone.json()["message"]


async def test_secrets_are_masked_in_responses(api: Api) -> None:
    source = HELLO.replace("type: STRING\n    defaults: World", "type: SECRET")
    await api.create_flow(source)
    execution = await api.run("demo", "hello", json={"name": "hunter22"})
    text = json.dumps(execution)
    assert "hunter22" not in text
    logs = (await api.client.get(f"/api/v1/logs/{execution['id']}")).text
    assert "hunter22" not in logs


async def test_kv_routes(api: Api) -> None:
    put = await api.client.put("/api/v1/namespaces/demo/kv/answer", content=b"42")
    assert put.status_code == 204
    await api.client.put("/api/v1/namespaces/demo/kv/greeting", content=b"hello there")
    assert (await api.client.get("/api/v1/namespaces/demo/kv/answer")).json() == {
        "type": "NUMBER",
        "value": 42,
    }
    assert (await api.client.get("/api/v1/namespaces/demo/kv/greeting")).json()["value"] == (
        "hello there"
    )
    keys = [e["key"] for e in (await api.client.get("/api/v1/namespaces/demo/kv")).json()]
    assert keys == ["answer", "greeting"]
    bad = await api.client.put("/api/v1/namespaces/demo/kv/bad key", content=b"1")
    assert bad.status_code == 422 and "invalid KV key" in bad.json()["message"]
    ttl = await api.client.put(
        "/api/v1/namespaces/demo/kv/t", content=b"1", headers={"ttl": "soon"}
    )
    assert ttl.status_code == 422 and "ttl" in ttl.json()["message"]
    assert (await api.client.delete("/api/v1/namespaces/demo/kv/answer")).status_code == 204
    assert (await api.client.get("/api/v1/namespaces/demo/kv/answer")).status_code == 404


async def test_health_metrics_openapi(api: Api) -> None:
    await api.create_flow(HELLO)
    await api.run("demo", "hello")
    health = (await api.client.get("/health")).json()
    assert health["status"] == "UP"
    metrics = (await api.client.get("/metrics")).text
    assert 'headway_executions{state="SUCCESS"} 1.0' in metrics
    assert "headway_task_run_duration_seconds_count" in metrics
    spec = (await api.client.get("/api/v1/openapi.json")).json()
    assert "/api/v1/executions/{namespace}/{flow_id}" in spec["paths"]
    assert not any(path.startswith("/api/v1/main/") for path in spec["paths"])


async def test_logs_search_across_executions(api: Api) -> None:
    await api.create_flow(HELLO)
    await api.create_flow(HELLO.replace("id: hello", "id: other"))
    for name in ("Ann", "Bob"):
        await api.run("demo", "hello", json={"name": name})
    await api.run("demo", "other", json={"name": "Cyd"})
    found = (await api.client.get("/api/v1/logs/search", params={"q": "hello b"})).json()
    assert [entry["message"] for entry in found["results"]] == ["Hello Bob!"]
    by_flow = (
        await api.client.get("/api/v1/logs/search", params={"flowId": "other", "size": 1})
    ).json()
    assert by_flow["total"] >= 2 and len(by_flow["results"]) == 1
    assert by_flow["results"][0]["flowId"] == "other"
    bad = await api.client.get("/api/v1/logs/search", params={"minLevel": "LOUD"})
    assert bad.status_code == 422 and "minLevel" in bad.json()["message"]


async def test_metrics_show_the_queue_and_the_workers(api: Api) -> None:
    await api.ctx.engine.worker.beat()  # registered (as at its start)
    metrics = (await api.client.get("/metrics")).text
    assert 'headway_queue_task_runs{status="ready"} 0.0' in metrics
    assert "headway_queue_oldest_ready_seconds 0.0" in metrics
    assert 'headway_workers{state="alive"} 1.0' in metrics
    assert 'headway_workers{state="silent"} 0.0' in metrics
