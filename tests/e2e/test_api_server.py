"""Every route of docs/api.md, of docs/flows.md's triggers and webhooks and of
docs/security.md's tokens and audit log, against one `headway server` process: one good
request and bad ones (unknown id, invalid body, wrong type, bad parameter), each error a 4xx
whose JSON message names the problem."""

from __future__ import annotations

import base64
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from .conftest import Cli
from .test_server import EXAMPLES, running_server

YAML = {"Content-Type": "application/x-yaml"}

FLOWS = {
    "failing.yaml": """\
id: failing
namespace: api.runs
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: one
  - id: boom
    type: io.kestra.plugin.core.execution.Fail
    errorMessage: "boom on purpose"
""",
    "sleepy.yaml": """\
id: sleepy
namespace: api.runs
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT60S
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: woke up
""",
    "queued.yaml": """\
id: queued
namespace: api.runs
concurrency:
  limit: 1
  behavior: QUEUE
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT60S
""",
    "writer.yaml": """\
id: writer
namespace: api.runs
tasks:
  - id: write
    type: io.kestra.plugin.core.storage.Write
    content: "written by the flow"
    extension: .txt
""",
    "scheduled.yaml": """\
id: scheduled
namespace: api.triggers
inputs:
  - id: who
    type: STRING
    defaults: nobody
tasks:
  - id: say
    type: io.kestra.plugin.core.debug.Return
    format: "hi {{ inputs.who }}"
outputs:
  - id: said
    type: STRING
    value: "{{ outputs.say.value }}"
triggers:
  - id: nightly
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "0 3 * * *"
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: the-key
""",
    "answering.yaml": """\
id: answering
namespace: api.triggers
tasks:
  - id: echo
    type: io.kestra.plugin.core.debug.Return
    format: "got {{ trigger.body.name }}"
outputs:
  - id: echoed
    type: STRING
    value: "{{ outputs.echo.value }}"
triggers:
  - id: hook
    type: io.kestra.plugin.core.trigger.Webhook
    key: answer-key
    wait: true
    returnOutputs: true
""",
}

NEW_FLOW = """\
id: sample
namespace: api.flows
tasks:
  - id: hello
    type: io.kestra.plugin.core.log.Log
    message: hello
"""


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    root = tmp_path_factory.mktemp("api-server")
    flows = root / "flows"
    shutil.copytree(EXAMPLES, flows)
    (flows / "disk-report.yaml").unlink()  # a shell script: not needed here
    for name, source in FLOWS.items():
        (flows / name).write_text(source)
    with (
        running_server(Cli(root / "home"), "--flows", str(flows)) as (url, _),
        httpx.Client(base_url=f"{url}/api/v1", timeout=30) as client,
    ):
        yield client


def check(response: httpx.Response, status: int, *named: str) -> Any:
    """The answer has ``status``; an error's JSON message names each of ``named``."""
    request = response.request
    assert response.status_code == status, (
        f"{request.method} {request.url}: {response.status_code} {response.text}"
    )
    if status >= 400:
        message = response.json()["message"]
        for part in named:
            assert part in message, f"{request.method} {request.url}: {message!r} lacks {part!r}"
        return message
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    return response.text


def run(api: httpx.Client, namespace: str, flow_id: str, wait: bool = True, **kw: Any) -> Any:
    params = {"wait": "true"} if wait else {}
    params.update(kw.pop("params", {}))
    return check(api.post(f"/executions/{namespace}/{flow_id}", params=params, **kw), 200)


def state_of(api: httpx.Client, execution_id: str) -> str:
    state: str = check(api.get(f"/executions/{execution_id}"), 200)["state"]["current"]
    return state


def wait_for(
    api: httpx.Client, execution_id: str, *states: str, restarts: int = 0
) -> dict[str, Any]:
    """The execution once in one of ``states`` after ``restarts`` restarts at least (a
    restart is applied by the executor after the request is answered)."""
    deadline = time.monotonic() + 20
    while True:
        execution: dict[str, Any] = check(api.get(f"/executions/{execution_id}"), 200)
        history = [h["state"] for h in execution["state"]["histories"]]
        if execution["state"]["current"] in states and history.count("RESTARTED") >= restarts:
            return execution
        assert time.monotonic() < deadline, f"{execution_id} is {execution['state']['current']}"
        time.sleep(0.05)


def events(api: httpx.Client, path: str, **params: Any) -> list[str]:
    """The event names of a server-sent stream, to its ``end``."""
    names = []
    with api.stream("GET", path, params=params) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("event: "):
                names.append(line.removeprefix("event: "))
                if names[-1] == "end":
                    break
    return names


def test_flows(api: httpx.Client) -> None:
    created = check(api.post("/flows", content=NEW_FLOW, headers=YAML), 200)
    assert (created["namespace"], created["id"], created["revision"]) == ("api.flows", "sample", 1)
    check(api.post("/flows", content=NEW_FLOW, headers=YAML), 409, "'api.flows.sample'", "exists")
    bad = api.post("/flows", content="id: x\nnamespace: api.flows\ntasks: 3\n", headers=YAML)
    check(bad, 422, "tasks")
    assert bad.json()["problems"][0]["line"] == 3
    check(api.post("/flows", content=b"", headers=YAML), 400, "body is empty")
    check(api.post("/flows", content=b"\xff\xfe", headers=YAML), 400, "UTF-8")

    changed = NEW_FLOW.replace("message: hello", "message: hello again")
    assert (
        check(api.put("/flows/api.flows/sample", content=changed, headers=YAML), 200)["revision"]
        == 2
    )
    check(api.put("/flows/api.flows/other", content=changed, headers=YAML), 422, "api.flows.other")
    check(api.put("/flows/api.flows/nope", content="id: nope\n", headers=YAML), 422, "namespace")

    assert check(api.get("/flows/api.flows/sample"), 200)["revision"] == 2
    first = check(api.get("/flows/api.flows/sample", params={"revision": 1}), 200)
    assert first["source"] == NEW_FLOW
    check(api.get("/flows/api.flows/sample", params={"revision": 9}), 404, "no revision 9")
    check(api.get("/flows/api.flows/sample", params={"revision": "two"}), 422, "'revision'")
    check(api.get("/flows/api.flows/nope"), 404, "'api.flows.nope' not found")

    graph = check(api.get("/flows/api.flows/sample/graph"), 200)
    assert [n["id"] for n in graph["nodes"]] == ["hello"]
    check(api.get("/flows/api.flows/nope/graph"), 404, "'api.flows.nope'")

    revisions = check(api.get("/flows/api.flows/sample/revisions"), 200)
    assert [r["revision"] for r in revisions] == [1, 2]
    check(api.get("/flows/api.flows/nope/revisions"), 404, "'api.flows.nope'")
    diff = check(
        api.get("/flows/api.flows/sample/revisions/diff", params={"from": 1, "to": 2}), 200
    )
    assert "+    message: hello again" in diff["diff"]
    check(
        api.get("/flows/api.flows/sample/revisions/diff", params={"from": 1, "to": 7}),
        404,
        "no revision 7",
    )
    check(api.get("/flows/api.flows/sample/revisions/diff", params={"from": 1}), 422, "'to'")
    restored = check(api.post("/flows/api.flows/sample/revisions/1/restore"), 200)
    assert restored["revision"] == 3 and restored["source"] == NEW_FLOW
    check(api.post("/flows/api.flows/sample/revisions/8/restore"), 404, "no revision 8")
    check(api.post("/flows/api.flows/sample/revisions/0/restore"), 422, "'revision'")

    found = check(api.get("/flows/search", params={"namespace": "api", "q": "sample"}), 200)
    assert [f["id"] for f in found["results"]] == ["sample"] and found["total"] == 1
    check(api.get("/flows/search", params={"page": 0}), 422, "'page'")
    check(api.get("/flows/search", params={"size": 5000}), 422, "'size'")
    assert [f["id"] for f in check(api.get("/flows/api.flows"), 200)] == ["sample"]
    assert check(api.get("/flows/no.such.namespace"), 200) == []

    two = NEW_FLOW + "---\nid: broken\nnamespace: api.flows\n"
    validated = check(api.post("/flows/validate", content=two, headers=YAML), 200)
    assert validated[0]["constraints"] is None
    assert "tasks" in validated[1]["constraints"] and validated[1]["flow"] == "broken"
    check(api.post("/flows/validate", content=b"  ", headers=YAML), 400, "body is empty")

    other = NEW_FLOW.replace("id: sample", "id: applied")
    plan = {"flows": [{"source": other, "file": "applied.yaml"}], "dryRun": True}
    applied = check(api.post("/flows/apply", json=plan), 200)
    assert applied["summary"]["create"] == 1 and applied["dryRun"] is True
    check(api.get("/flows/api.flows/applied"), 404, "not found")
    invalid = {"flows": [{"source": "id: x\nnamespace: api.flows\n", "file": "x.yaml"}]}
    check(api.post("/flows/apply", json=invalid), 422, "x.yaml")
    check(api.post("/flows/apply", json={"flows": [], "dryRun": "yes"}), 422, "'dryRun'")
    check(api.post("/flows/apply", json={"flow": []}), 422, "'flows'")

    names = [
        n["id"] for n in check(api.get("/namespaces/search", params={"q": "api"}), 200)["results"]
    ]
    assert {"api", "api.flows", "api.runs"} <= set(names)

    assert api.delete("/flows/api.flows/sample").status_code == 204
    check(api.delete("/flows/api.flows/sample"), 404, "'api.flows.sample' not found")


def test_run_get_search_and_delete(api: httpx.Client) -> None:
    done = run(api, "demo", "hello", json={"name": "Ada"}, params={"labels": "team:api"})
    assert done["outputs"] == {"greeting": "Hello Ada!"} and done["state"]["current"] == "SUCCESS"
    as_form = run(api, "demo", "hello", data={"name": "Bo"})
    assert as_form["outputs"] == {"greeting": "Hello Bo!"}
    multipart = run(api, "demo", "hello", files={"name": (None, "Cy")})
    assert multipart["outputs"] == {"greeting": "Hello Cy!"}
    fanned = run(api, "demo", "fanout", json={"items": ["alpha", "beta"]})
    assert fanned["state"]["current"] == "SUCCESS"

    check(api.post("/executions/demo/nope"), 404, "'demo.nope'")
    check(api.post("/executions/demo/hello", params={"revision": 9}), 404, "revision 9")
    check(api.post("/executions/demo/hello", params={"labels": "nocolon"}), 422, "'nocolon'")
    check(api.post("/executions/demo/fanout", json={"items": 5}), 422, "items")
    check(
        api.post(
            "/executions/demo/hello",
            content=b"{not json",
            headers={"Content-Type": "application/json"},
        ),
        400,
        "not valid JSON",
    )
    check(api.post("/executions/demo/hello", json=["Ada"]), 400, "JSON object of inputs")
    check(
        api.post("/executions/demo/hello", content=b"name", headers={"Content-Type": "text/plain"}),
        415,
        "'text/plain'",
    )
    check(api.post("/executions/demo/hello", params={"scheduleDate": "soon"}), 422, "scheduleDate")

    assert check(api.get(f"/executions/{done['id']}"), 200)["labels"] == [
        {"key": "team", "value": "api"}
    ]
    check(api.get("/executions/no-such-id"), 404, "'no-such-id' not found")

    found = check(
        api.get(
            "/executions/search",
            params={
                "namespace": "demo",
                "flowId": "hello",
                "state": "SUCCESS",
                "labels": "team:api",
                "startDate": "2000-01-01T00:00:00Z",
                "sort": "state.startDate:asc",
            },
        ),
        200,
    )
    assert [e["id"] for e in found["results"]] == [done["id"]] and found["total"] == 1
    check(api.get("/executions/search", params={"state": "DONE"}), 422, "'state'")
    check(api.get("/executions/search", params={"sort": "id:asc"}), 422, "'sort'")
    check(api.get("/executions/search", params={"size": 0}), 422, "'size'")
    check(api.get("/executions/search", params={"labels": "x"}), 422, "'x'")
    check(api.get("/executions/search", params={"startDate": "yesterday"}), 422, "'startDate'")

    assert events(api, f"/executions/{done['id']}/follow") == ["execution", "end"]
    check(api.get("/executions/no-such-id/follow"), 404, "'no-such-id'")

    assert api.delete(f"/executions/{as_form['id']}").status_code == 204
    check(api.delete(f"/executions/{as_form['id']}"), 404, as_form["id"])


def test_logs(api: httpx.Client) -> None:
    done = run(api, "demo", "hello", json={"name": "Lou"})
    lines = check(api.get(f"/logs/{done['id']}"), 200)
    assert any(line["message"] == "Hello Lou!" for line in lines)
    assert check(api.get(f"/logs/{done['id']}", params={"minLevel": "ERROR"}), 200) == []
    task_run = done["taskRunList"][1]["id"]
    by_task = check(api.get(f"/logs/{done['id']}", params={"taskRunId": task_run}), 200)
    assert [line["message"] for line in by_task] == ["Hello Lou!"]
    check(api.get(f"/logs/{done['id']}", params={"minLevel": "LOUD"}), 422, "'minLevel'")
    check(api.get("/logs/no-such-id"), 404, "'no-such-id'")

    searched = check(
        api.get(
            "/logs/search",
            params={
                "namespace": "demo",
                "executionId": done["id"],
                "q": "hello LOU",
                "minLevel": "INFO",
            },
        ),
        200,
    )
    assert [line["message"] for line in searched["results"]] == ["Hello Lou!"]
    check(api.get("/logs/search", params={"minLevel": "LOUD"}), 422, "'minLevel'")
    check(api.get("/logs/search", params={"startDate": "today"}), 422, "'startDate'")
    check(api.get("/logs/search", params={"size": 1001}), 422, "'size'")

    text = check(api.get(f"/logs/{done['id']}/download"), 200)
    assert "Hello Lou!" in text
    check(api.get("/logs/no-such-id/download"), 404, "'no-such-id'")

    assert events(api, f"/logs/{done['id']}/follow")[-2:] == ["log", "end"]
    check(api.get(f"/logs/{done['id']}/follow", params={"minLevel": 3}), 422, "'minLevel'")
    check(api.get("/logs/no-such-id/follow"), 404, "'no-such-id'")


def test_kill_pause_resume_and_force_run(api: httpx.Client) -> None:
    sleeping = run(api, "api.runs", "sleepy", wait=False)
    wait_for(api, sleeping["id"], "RUNNING")
    check(api.delete(f"/executions/{sleeping['id']}"), 409, "kill it before deleting")
    check(api.post(f"/executions/{sleeping['id']}/resume"), 409, "not PAUSED")
    assert check(api.post(f"/executions/{sleeping['id']}/pause"), 202)["id"] == sleeping["id"]
    assert check(api.delete(f"/executions/{sleeping['id']}/kill"), 202)["id"] == sleeping["id"]
    wait_for(api, sleeping["id"], "KILLED")
    check(api.delete(f"/executions/{sleeping['id']}/kill"), 409, "already ended KILLED")
    check(api.post(f"/executions/{sleeping['id']}/pause"), 409, "not RUNNING")
    check(api.delete("/executions/no-such-id/kill"), 404, "'no-such-id'")
    check(api.post("/executions/no-such-id/pause"), 404, "'no-such-id'")

    paused = run(api, "demo", "approval")
    assert paused["state"]["current"] == "PAUSED"
    check(
        api.post(f"/executions/{paused['id']}/resume", json={"approved": "perhaps"}),
        422,
        "approved",
    )
    check(api.post(f"/executions/{paused['id']}/resume", json=[1]), 400, "JSON object")
    resumed = api.post(f"/executions/{paused['id']}/resume", json={"approved": True})
    assert resumed.status_code == 204
    assert wait_for(api, paused["id"], "SUCCESS", "FAILED")["state"]["current"] == "SUCCESS"
    check(api.post("/executions/no-such-id/resume"), 404, "'no-such-id'")

    holding = run(api, "api.runs", "queued", wait=False)
    wait_for(api, holding["id"], "RUNNING")
    waiting = run(api, "api.runs", "queued", wait=False)
    wait_for(api, waiting["id"], "QUEUED")
    assert check(api.post(f"/executions/{waiting['id']}/force-run"), 202)["id"] == waiting["id"]
    wait_for(api, waiting["id"], "RUNNING")
    check(api.post(f"/executions/{paused['id']}/force-run"), 409, "not QUEUED")
    check(api.post("/executions/no-such-id/force-run"), 404, "'no-such-id'")

    killed = check(
        api.request(
            "DELETE",
            "/executions/kill/by-ids",
            json={"ids": [holding["id"], waiting["id"], paused["id"], "no-such-id"]},
        ),
        200,
    )
    assert killed["count"] == 2
    assert {e["id"]: e["message"] for e in killed["errors"]} == {
        paused["id"]: "already ended SUCCESS",
        "no-such-id": "execution 'no-such-id' not found",
    }
    check(api.request("DELETE", "/executions/kill/by-ids", json={"ids": "x"}), 422, "'ids'")
    for execution in (holding, waiting):
        wait_for(api, execution["id"], "KILLED")


def test_restart_replay_state_labels_eval_and_files(api: httpx.Client) -> None:
    failed = run(api, "api.runs", "failing")
    assert failed["state"]["current"] == "FAILED"
    restarted = check(api.post(f"/executions/{failed['id']}/restart"), 200)
    assert restarted["id"] == failed["id"]
    wait_for(api, failed["id"], "FAILED")
    check(api.post("/executions/no-such-id/restart"), 404, "'no-such-id'")

    boom = next(t for t in failed["taskRunList"] if t["taskId"] == "boom")
    change = {"taskRunId": boom["id"], "state": "SUCCESS"}
    check(
        api.post(f"/executions/{failed['id']}/state", json={**change, "state": "RUNNING"}),
        409,
        "not RUNNING",
    )
    check(
        api.post(f"/executions/{failed['id']}/state", json={**change, "state": "SOON"}),
        422,
        "'state'",
    )
    check(
        api.post(f"/executions/{failed['id']}/state", json={**change, "taskRunId": "nope"}),
        404,
        "no TaskRun 'nope'",
    )
    check(
        api.post(f"/executions/{failed['id']}/state", json={"state": "SUCCESS"}), 422, "'taskRunId'"
    )
    assert (
        check(api.post(f"/executions/{failed['id']}/state", json=change), 200)["id"]
        == (failed["id"])
    )
    assert wait_for(api, failed["id"], "SUCCESS")["state"]["current"] == "SUCCESS"
    check(api.post(f"/executions/{failed['id']}/restart"), 409, "only a FAILED or KILLED")

    done = run(api, "demo", "hello", json={"name": "Rae"})
    greet = done["taskRunList"][0]["id"]
    replayed = check(api.post(f"/executions/{done['id']}/replay", params={"taskRunId": greet}), 200)
    assert replayed["id"] != done["id"] and replayed["originalId"] == done["id"]
    wait_for(api, replayed["id"], "SUCCESS")
    check(api.post(f"/executions/{done['id']}/replay", params={"taskRunId": "nope"}), 404, "'nope'")
    check(api.post("/executions/no-such-id/replay"), 404, "'no-such-id'")

    labelled = check(
        api.post(f"/executions/{done['id']}/labels", json=[{"key": "env", "value": "test"}]), 200
    )
    assert labelled["labels"] == [{"key": "env", "value": "test"}]
    deadline = time.monotonic() + 10
    while {"key": "env", "value": "test"} not in check(api.get(f"/executions/{done['id']}"), 200)[
        "labels"
    ]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    check(
        api.post(f"/executions/{done['id']}/labels", json=[{"key": " ", "value": "x"}]),
        422,
        "key must not be empty",
    )
    check(api.post(f"/executions/{done['id']}/labels", json={"env": "x"}), 422, "body")
    check(api.post("/executions/no-such-id/labels", json=[]), 404, "'no-such-id'")

    rendered = check(
        api.post(
            f"/executions/{done['id']}/eval/{greet}",
            content=b"{{ outputs.greet.value }} / {{ inputs.name }}",
        ),
        200,
    )
    assert rendered == {"result": "Hello Rae! / Rae", "error": None}
    failing = check(
        api.post(f"/executions/{done['id']}/eval/{greet}", content=b"{{ nothing.here }}"), 200
    )
    assert failing["result"] is None and "nothing" in failing["error"]
    check(api.post(f"/executions/{done['id']}/eval/nope", content=b"{{ 1 }}"), 404, "'nope'")
    check(api.post(f"/executions/{done['id']}/eval/{greet}", content=b" "), 422, "body is empty")

    written = run(api, "api.runs", "writer")
    uri = written["taskRunList"][0]["outputs"]["uri"]
    content = api.get(f"/executions/{written['id']}/file", params={"path": uri})
    assert content.status_code == 200 and content.text == "written by the flow"
    check(
        api.get(f"/executions/{written['id']}/file", params={"path": "kestra:///x/y.txt"}),
        422,
        "'kestra:///x/y.txt' is not a file of this execution",
    )
    check(api.get(f"/executions/{written['id']}/file"), 422, "'path'")
    check(
        api.get(f"/executions/{written['id']}/file", params={"path": uri + ".gone"}), 404, ".gone"
    )


def test_bulk_actions(api: httpx.Client) -> None:
    first = run(api, "api.runs", "failing")
    second = run(api, "api.runs", "failing")
    restarted = check(
        api.post("/executions/restart/by-ids", json={"ids": [first["id"], "no-such-id"]}), 200
    )
    assert restarted["count"] == 1 and restarted["errors"][0]["id"] == "no-such-id"
    wait_for(api, first["id"], "FAILED", restarts=1)
    check(api.post("/executions/restart/by-ids", json={}), 422, "'ids'")

    query = {"namespace": "api.runs", "flowId": "failing", "state": "FAILED"}
    by_query = check(api.post("/executions/restart/by-query", params=query), 200)
    assert by_query["count"] >= 2 and by_query["errors"] == []
    for execution, restarts in ((first, 2), (second, 1)):
        wait_for(api, execution["id"], "FAILED", restarts=restarts)
    check(api.post("/executions/restart/by-query", params={"state": "x"}), 422, "'state'")
    none_running = check(api.request("DELETE", "/executions/kill/by-query", params=query), 200)
    assert none_running["errors"] and "already ended FAILED" in none_running["errors"][0]["message"]
    check(api.request("DELETE", "/executions/kill/by-query", params={"labels": ":"}), 422, "labels")

    deleted = check(
        api.request("DELETE", "/executions/by-ids", json={"ids": [first["id"], "no-such-id"]}), 200
    )
    assert deleted == {
        "count": 1,
        "errors": [{"id": "no-such-id", "message": "execution 'no-such-id' not found"}],
    }
    check(
        api.request(
            "DELETE",
            "/executions/by-ids",
            content=b"{",
            headers={"Content-Type": "application/json"},
        ),
        422,
        "JSON",
    )
    gone = check(api.request("DELETE", "/executions/by-query", params=query), 200)
    assert gone["count"] >= 1 and gone["errors"] == []
    check(api.get(f"/executions/{second['id']}"), 404, second["id"])
    check(
        api.request("DELETE", "/executions/by-query", params={"endDate": "never"}), 422, "'endDate'"
    )


def test_key_value_store(api: httpx.Client) -> None:
    assert api.put("/namespaces/api.kv/kv/answer", json=42).status_code == 204
    assert check(api.get("/namespaces/api.kv/kv/answer"), 200) == {"type": "NUMBER", "value": 42}
    put = api.put("/namespaces/api.kv/kv/greeting", content=b"hello", headers={"ttl": "PT1H"})
    assert put.status_code == 204
    assert check(api.get("/namespaces/api.kv/kv/greeting"), 200) == {
        "type": "STRING",
        "value": "hello",
    }
    listed = {e["key"]: e for e in check(api.get("/namespaces/api.kv/kv"), 200)}
    assert set(listed) == {"answer", "greeting"}
    assert listed["greeting"]["expirationDate"] and listed["answer"]["expirationDate"] is None

    check(api.put("/namespaces/api.kv/kv/~bad", content=b"1"), 422, "'~bad'")
    check(
        api.put("/namespaces/api.kv/kv/k", content=b"1", headers={"ttl": "soon"}),
        422,
        "header 'ttl'",
        "'soon'",
    )
    check(api.put("/namespaces/API KV/kv/k", content=b"1"), 422, "'API KV'")
    check(api.get("/namespaces/api.kv/kv/nothing"), 404, "'nothing'", "'api.kv'")
    assert api.delete("/namespaces/api.kv/kv/answer").status_code == 204
    check(api.delete("/namespaces/api.kv/kv/answer"), 404, "'answer'")
    check(api.delete("/namespaces/api.kv/kv/~bad"), 422, "'~bad'")


def test_namespace_files(api: httpx.Client) -> None:
    files = api.post(
        "/namespaces/api.files/files",
        params={"path": "/scripts/a.py"},
        files={"fileContent": ("a.py", b"print('a')\n")},
    )
    assert files.status_code == 204
    assert api.get("/namespaces/api.files/files", params={"path": "scripts/a.py"}).content == (
        b"print('a')\n"
    )
    stats = check(
        api.get("/namespaces/api.files/files/stats", params={"path": "/scripts/a.py"}), 200
    )
    assert (stats["fileName"], stats["type"], stats["size"]) == ("a.py", "File", 11)
    listing = check(api.get("/namespaces/api.files/files/directory"), 200)
    assert [(e["fileName"], e["type"]) for e in listing] == [("scripts", "Directory")]
    moved = api.put(
        "/namespaces/api.files/files", params={"from": "/scripts/a.py", "to": "/scripts/b.py"}
    )
    assert moved.status_code == 204
    assert [
        e["fileName"]
        for e in check(
            api.get("/namespaces/api.files/files/directory", params={"path": "/scripts"}), 200
        )
    ] == ["b.py"]

    check(
        api.post("/namespaces/api.files/files", params={"path": "/x"}, content=b"x"),
        415,
        "multipart/form-data",
    )
    check(
        api.post(
            "/namespaces/api.files/files", params={"path": "/x"}, files={"other": ("x", b"x")}
        ),
        422,
        "'fileContent'",
    )
    check(
        api.post("/namespaces/api.files/files", files={"fileContent": ("x", b"x")}), 422, "'path'"
    )
    check(api.get("/namespaces/api.files/files", params={"path": "/scripts/a.py"}), 404, "a.py")
    check(api.get("/namespaces/api.files/files/stats", params={"path": "/nope"}), 404, "nope")
    check(api.get("/namespaces/api.files/files", params={"path": "/"}), 400, "needs a path")
    check(api.get("/namespaces/API/files/directory"), 400, "invalid namespace 'API'")
    check(api.put("/namespaces/api.files/files", params={"from": "/nope", "to": "/x"}), 404, "nope")

    plan = {
        "files": [{"path": "/c.txt", "content": base64.b64encode(b"c").decode()}],
        "dryRun": True,
    }
    applied = check(api.post("/namespaces/api.files/files/apply", json=plan), 200)
    assert applied["dryRun"] is True and applied["summary"]["create"] == 1
    check(
        api.post(
            "/namespaces/api.files/files/apply",
            json={"files": [{"path": "/c.txt", "content": "%%%"}]},
        ),
        422,
        "'/c.txt'",
        "base64",
    )

    assert api.delete("/namespaces/api.files/files", params={"path": "/scripts"}).status_code == (
        204
    )
    check(api.delete("/namespaces/api.files/files", params={"path": "/scripts"}), 404, "'/scripts'")


def test_triggers_and_backfills(api: httpx.Client) -> None:
    found = check(api.get("/triggers/search", params={"namespace": "api.triggers"}), 200)
    ids = sorted(
        (t["triggerContext"]["flowId"], t["triggerContext"]["triggerId"]) for t in found["results"]
    )
    assert ids == [("answering", "hook"), ("scheduled", "hook"), ("scheduled", "nightly")]
    assert check(api.get("/triggers/search", params={"q": "nightly"}), 200)["total"] == 1
    check(api.get("/triggers/search", params={"size": 0}), 422, "'size'")

    ref = {"namespace": "api.triggers", "flowId": "scheduled", "triggerId": "nightly"}
    assert check(api.put("/triggers", json={**ref, "disabled": True}), 200)["disabled"] is True
    assert check(api.put("/triggers", json={**ref, "disabled": False}), 200)["disabled"] is False
    check(api.put("/triggers", json={**ref, "triggerId": "nope"}), 404, "'nope'")
    check(api.put("/triggers", json={**ref, "disabled": "no"}), 422, "'disabled'")
    check(api.put("/triggers", json={"namespace": "api.triggers"}), 422, "'flowId'")

    both = {"triggers": [ref, {**ref, "triggerId": "hook"}], "disabled": True}
    assert check(api.post("/triggers/set-disabled/by-triggers", json=both), 200) == {"count": 2}
    assert check(
        api.post("/triggers/set-disabled/by-triggers", json={**both, "disabled": False}), 200
    ) == {"count": 2}
    check(
        api.post("/triggers/set-disabled/by-triggers", json={"triggers": [], "disabled": True}),
        422,
        "'triggers'",
    )
    check(
        api.post(
            "/triggers/set-disabled/by-triggers",
            json={"triggers": [{**ref, "flowId": "nope"}], "disabled": True},
        ),
        404,
        "nope",
    )

    assert (
        check(api.post("/triggers/api.triggers/scheduled/nightly/unlock"), 200)["triggerId"]
        == "nightly"
    )
    check(api.post("/triggers/api.triggers/scheduled/nope/unlock"), 404, "'nope'")

    now = datetime.now(UTC)
    # Long enough (a date a day, ten fired per tick) that the scheduler is still at it while
    # the requests below look at the backfill.
    start = (now - timedelta(days=400)).isoformat()
    end = (now - timedelta(days=2)).isoformat()
    backfill = {"start": start, "end": end, "inputs": {"who": "backfill"}}
    started = check(api.put("/triggers", json={**ref, "backfill": backfill}), 200)
    assert started["backfill"]["start"] is not None
    check(api.put("/triggers", json={**ref, "backfill": backfill}), 409, "already has a backfill")
    assert check(api.put("/triggers/backfill/pause", json=ref), 200)["backfill"]["paused"] is True
    assert (
        check(api.put("/triggers/backfill/unpause", json=ref), 200)["backfill"]["paused"] is False
    )
    assert check(api.post("/triggers/backfill/delete", json=ref), 200)["backfill"] is None
    check(api.put("/triggers/backfill/pause", json=ref), 404, "'nightly' has no backfill")
    check(api.put("/triggers/backfill/unpause", json={**ref, "flowId": "nope"}), 404, "nope")
    check(api.post("/triggers/backfill/delete", json={"flowId": "x"}), 422, "'namespace'")
    hook = {**ref, "triggerId": "hook", "backfill": backfill}
    check(api.put("/triggers", json=hook), 400, "only schedules can be backfilled")
    future = {**ref, "backfill": {"start": (now + timedelta(days=1)).isoformat()}}
    check(api.put("/triggers", json=future), 400, "must be in the past")
    check(
        api.put("/triggers", json={**ref, "backfill": {"start": "someday"}}),
        422,
        "'backfill.start'",
    )


def test_webhooks(api: httpx.Client) -> None:
    base = "/executions/webhook/api.triggers"
    posted = check(api.post(f"{base}/scheduled/the-key", json={"name": "Ann"}), 200)
    assert posted["trigger"]["variables"]["body"] == {"name": "Ann"}
    got = check(api.get(f"{base}/scheduled/the-key", params={"a": "1"}), 200)
    assert got["trigger"]["variables"]["parameters"] == {"a": ["1"]}
    put = check(api.put(f"{base}/scheduled/the-key", content=b"plain"), 200)
    assert put["trigger"]["variables"]["body"] == "plain"
    answered = check(api.post(f"{base}/answering/answer-key", json={"name": "Ann"}), 200)
    assert answered == {"echoed": "got Ann"}

    for wrong in ("scheduled/wrong-key", "nope/the-key", "answering/the-key"):
        check(api.post(f"{base}/{wrong}", json={}), 404, "no webhook matches")
    check(api.post("/executions/webhook/other/scheduled/the-key"), 404, "no webhook matches")
    hook = {"namespace": "api.triggers", "flowId": "scheduled", "triggerId": "hook"}
    check(api.put("/triggers", json={**hook, "disabled": True}), 200)
    check(api.post(f"{base}/scheduled/the-key", json={}), 404, "no webhook matches")
    check(api.put("/triggers", json={**hook, "disabled": False}), 200)
    too_big = b"x" * (10 * 1024 * 1024 + 1)
    check(api.post(f"{base}/scheduled/the-key", content=too_big), 413, "larger than")


def test_tokens_and_audit(api: httpx.Client) -> None:
    created = check(
        api.post(
            "/tokens", json={"role": "viewer", "namespace": "api", "name": "ci", "expires": "P1D"}
        ),
        201,
    )
    assert created["token"].startswith("hw_") and created["role"] == "viewer"
    listed = check(api.get("/tokens"), 200)
    assert [t["id"] for t in listed if t["id"] == created["id"]] == [created["id"]]
    assert "token" not in listed[0]
    check(api.post("/tokens", json={"role": "boss", "namespace": "api"}), 422, "'boss'")
    check(
        api.post("/tokens", json={"role": "viewer", "namespace": "api", "expires": "soon"}),
        422,
        "'soon'",
    )
    check(api.post("/tokens", json={"role": "viewer"}), 422, "'namespace'")
    revoked = check(api.delete(f"/tokens/{created['id']}"), 200)
    assert revoked["id"] == created["id"]
    check(api.delete("/tokens/tok_000000000000"), 404, "'tok_000000000000'")

    entries = check(api.get("/audit/search", params={"action": "token"}), 200)
    actions = [(e["action"], e["target"]) for e in entries["results"]]
    assert ("token.revoke", created["id"]) in actions and ("token.create", created["id"]) in actions
    assert all(e["actor"] == "anonymous" for e in entries["results"])
    check(api.get("/audit/search", params={"from": "last week"}), 422, "'from'")
    check(api.get("/audit/search", params={"page": -1}), 422, "'page'")


def test_server_routes(api: httpx.Client) -> None:
    root = str(api.base_url).removesuffix("/api/v1/")
    health = check(httpx.get(f"{root}/health"), 200)
    assert health["status"] == "UP" and "executor" in health["components"]
    metrics = httpx.get(f"{root}/metrics")
    assert metrics.status_code == 200 and "headway_executions" in metrics.text
    assert check(api.get("/me"), 200)["name"] == "anonymous"
    schema = check(api.get("/plugins/schemas/flow"), 200)
    assert "tasks" in schema["properties"]
    document = check(api.get("/openapi.json"), 200)
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))
    tenant = check(api.get("/main/flows/demo/hello"), 200)
    assert tenant["id"] == "hello"
    check(api.get("/no/such/route"), 404, "Not Found")
    wrong_method = api.patch("/flows/demo/hello")
    check(wrong_method, 405, "Method Not Allowed")
    assert wrong_method.headers["allow"] == "DELETE, GET, PUT"


# schemathesis (docs/api.md, "Checking the API") against a server of its own: it changes
# and deletes what it finds.
SCHEMATHESIS_CONFIG = Path(__file__).parents[1] / "api" / "schemathesis.toml"


@pytest.fixture(scope="module")
def openapi(tmp_path_factory: pytest.TempPathFactory) -> Iterator[schemathesis.BaseSchema]:
    root = tmp_path_factory.mktemp("api-fuzzed")
    flows = root / "flows"
    shutil.copytree(EXAMPLES, flows)
    (flows / "disk-report.yaml").unlink()  # its input reaches a shell command
    config = schemathesis.Config.from_path(SCHEMATHESIS_CONFIG)
    with running_server(Cli(root / "home"), "--flows", str(flows)) as (url, _):
        yield schemathesis.openapi.from_url(f"{url}/api/v1/openapi.json", config=config)


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_mismatch(
    openapi: schemathesis.BaseSchema,
) -> None:
    """Each operation with valid and invalid requests; any failed check (a 500, an answer
    the document does not describe, an invalid request accepted) fails the test, with the
    request that reproduces it."""
    operations = [result.ok() for result in openapi.get_all_operations()]
    assert len(operations) >= 60
    calls: list[str] = []
    for operation in operations:
        for mode in GenerationMode:

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=8,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                phases=[Phase.generate],
            )
            def fuzz(case: schemathesis.Case) -> None:
                case.call_and_validate(timeout=20)
                calls.append(case.operation.label)

            try:
                fuzz()
            except Unsatisfiable:
                # no request breaks this operation's document (its parameters are strings)
                assert mode is GenerationMode.NEGATIVE, operation.label
    assert set(calls) == {operation.label for operation in operations}
    print(f"schemathesis: {len(operations)} operations, {len(calls)} requests, no failure")
