"""Restart, replay and TaskRun state changes through the API, on the real engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .conftest import Api
from .test_executions_api import wait_for_state

FLAKY = """\
id: flaky
namespace: demo
inputs:
  - id: flag
    type: STRING
tasks:
  - id: first
    type: io.kestra.plugin.core.debug.Return
    format: "one"
  - id: group
    type: io.kestra.plugin.core.flow.Sequential
    tasks:
      - id: check
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - test -f "{{ inputs.flag }}"
  - id: last
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.first.value }} then last"
errors:
  - id: on_error
    type: io.kestra.plugin.core.log.Log
    message: "failed"
"""


def runs(execution: dict[str, Any]) -> dict[str, str]:
    return {tr["taskId"]: tr["state"]["current"] for tr in execution["taskRunList"]}


async def failed_execution(api: Api, tmp_path: Path) -> tuple[dict[str, Any], Path]:
    await api.create_flow(FLAKY)
    flag = tmp_path / "flag"
    execution = await api.run("demo", "flaky", json={"flag": str(flag)})
    assert execution["state"]["current"] == "FAILED"
    assert runs(execution) == {
        "first": "SUCCESS",
        "group": "FAILED",
        "check": "FAILED",
        "on_error": "SUCCESS",
    }
    return execution, flag


async def test_restart_reruns_the_failed_task_in_the_same_execution(
    api: Api, tmp_path: Path
) -> None:
    execution, flag = await failed_execution(api, tmp_path)
    flag.touch()
    response = await api.client.post(f"/api/v1/executions/{execution['id']}/restart")
    assert response.status_code == 200, response.text
    done = await wait_for_state(api, execution["id"], "SUCCESS")
    assert runs(done) == {
        "first": "SUCCESS",
        "group": "SUCCESS",
        "check": "SUCCESS",
        "last": "SUCCESS",
    }
    check = next(tr for tr in done["taskRunList"] if tr["taskId"] == "check")
    assert [a["state"]["current"] for a in check["attempts"]] == ["FAILED", "SUCCESS"]
    states = [h["state"] for h in done["state"]["histories"]]
    assert states[-3:] == ["RESTARTED", "RUNNING", "SUCCESS"]
    last = next(tr for tr in done["taskRunList"] if tr["taskId"] == "last")
    assert last["outputs"] == {"value": "one then last"}
    again = await api.client.post(f"/api/v1/executions/{execution['id']}/restart")
    assert again.status_code == 409 and "only a FAILED or KILLED" in again.json()["message"]


async def test_a_restart_that_fails_again_runs_the_errors_branch_again(
    api: Api, tmp_path: Path
) -> None:
    execution, _ = await failed_execution(api, tmp_path)
    await api.client.post(f"/api/v1/executions/{execution['id']}/restart")
    for _ in range(3):
        done = await wait_for_state(api, execution["id"], "FAILED")
        if "RESTARTED" in [h["state"] for h in done["state"]["histories"]]:
            break
    assert runs(done)["on_error"] == "SUCCESS"
    assert [tr["taskId"] for tr in done["taskRunList"]].count("on_error") == 1
    check = next(tr for tr in done["taskRunList"] if tr["taskId"] == "check")
    assert len(check["attempts"]) == 2


async def test_replay_from_a_task_run_makes_a_new_execution(api: Api, tmp_path: Path) -> None:
    execution, flag = await failed_execution(api, tmp_path)
    flag.touch()
    check = next(tr for tr in execution["taskRunList"] if tr["taskId"] == "check")
    response = await api.client.post(
        f"/api/v1/executions/{execution['id']}/replay", params={"taskRunId": check["id"]}
    )
    assert response.status_code == 200, response.text
    replayed = response.json()
    assert replayed["id"] != execution["id"]
    assert replayed["originalId"] == execution["id"]
    done = await wait_for_state(api, replayed["id"], "SUCCESS")
    assert runs(done) == {
        "first": "SUCCESS",
        "group": "SUCCESS",
        "check": "SUCCESS",
        "last": "SUCCESS",
    }
    first = next(tr for tr in done["taskRunList"] if tr["taskId"] == "first")
    old_first = next(tr for tr in execution["taskRunList"] if tr["taskId"] == "first")
    assert first["id"] != old_first["id"] and first["outputs"] == {"value": "one"}
    assert first["attempts"] == old_first["attempts"]
    original = (await api.client.get(f"/api/v1/executions/{execution['id']}")).json()
    assert original["state"]["current"] == "FAILED"
    unknown = await api.client.post(
        f"/api/v1/executions/{execution['id']}/replay", params={"taskRunId": "nope"}
    )
    assert unknown.status_code == 404 and "nope" in unknown.json()["message"]


async def test_setting_a_failed_task_run_to_success_continues_the_flow(
    api: Api, tmp_path: Path
) -> None:
    execution, _ = await failed_execution(api, tmp_path)
    check = next(tr for tr in execution["taskRunList"] if tr["taskId"] == "check")
    path = f"/api/v1/executions/{execution['id']}/state"
    bad = await api.client.post(path, json={"taskRunId": check["id"], "state": "RUNNING"})
    assert bad.status_code == 409 and "SUCCESS, WARNING or FAILED" in bad.json()["message"]
    response = await api.client.post(path, json={"taskRunId": check["id"], "state": "SUCCESS"})
    assert response.status_code == 200, response.text
    done = await wait_for_state(api, execution["id"], "SUCCESS")
    assert runs(done) == {
        "first": "SUCCESS",
        "group": "SUCCESS",
        "check": "SUCCESS",
        "last": "SUCCESS",
    }
    check_after = next(tr for tr in done["taskRunList"] if tr["taskId"] == "check")
    assert len(check_after["attempts"]) == 1
