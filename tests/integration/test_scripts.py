"""Script tasks in real flows (engine, worker, SQLite store), run as local processes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from headway.engine.engine import Engine
from headway.engine.flows import FlowRepository
from headway.flows.loader import parse_flow
from headway.plugins.core import PLUGINS as CORE
from headway.plugins.flowable import PLUGINS as FLOWABLE
from headway.plugins.registry import Registry
from headway.plugins.scripts import PLUGINS as SCRIPTS
from headway.runners.process import _group_alive as group_alive
from headway.settings import Settings
from headway.state import State
from headway.store import open_store
from headway.testing import run_flow

REGISTRY = Registry([*CORE, *FLOWABLE, *SCRIPTS])


async def test_a_shell_output_read_by_the_next_task() -> None:
    flow = """
id: shell_outputs
namespace: company.team
tasks:
  - id: count
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - echo counting
      - echo '::{"outputs":{"rows":42,"table":"users"}}::'
  - id: report
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.count.vars.table }} has {{ outputs.count.vars.rows }} rows"
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.SUCCESS
    assert result.outputs("count") == {"exitCode": 0, "vars": {"rows": 42, "table": "users"}}
    assert "users has 42 rows" in result.messages("INFO")
    assert "counting" in result.messages("INFO")


async def test_a_python_script_with_inputs() -> None:
    flow = """
id: python_inputs
namespace: company.team
inputs:
  - id: name
    type: STRING
  - id: times
    type: INT
tasks:
  - id: greet
    type: io.kestra.plugin.scripts.python.Script
    env:
      TIMES: "{{ inputs.times }}"
    script: |
      import os
      from headway import Kestra
      greeting = " ".join(["Hello {{ inputs.name }}"] * int(os.environ["TIMES"]))
      print(greeting)
      Kestra.outputs({"greeting": greeting})
  - id: show
    type: io.kestra.plugin.core.log.Log
    message: "{{ outputs.greet.vars.greeting }}"
"""
    result = await run_flow(flow, {"name": "Ada", "times": "2"}, registry=REGISTRY)
    assert result.state is State.SUCCESS
    assert result.outputs("greet")["vars"] == {"greeting": "Hello Ada Hello Ada"}
    assert result.messages("INFO").count("Hello Ada Hello Ada") == 2


async def test_a_flaky_script_is_retried(tmp_path: Path) -> None:
    counter = tmp_path / "attempts"
    flow = f"""
id: flaky_script
namespace: company.team
tasks:
  - id: flaky
    type: io.kestra.plugin.scripts.shell.Commands
    retry:
      type: constant
      interval: PT0.1S
      maxAttempts: 3
    commands:
      - echo x >> {counter}
      - test "$(wc -l < {counter})" -ge 3
      - echo finally
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.SUCCESS
    assert len(result.task_run("flaky").attempts) == 3
    assert "command failed with exit code 1" in result.messages("ERROR")


async def test_a_failing_script_fails_the_execution() -> None:
    flow = """
id: failing_script
namespace: company.team
tasks:
  - id: fail
    type: io.kestra.plugin.scripts.shell.Script
    script: |
      echo "about to fail" >&2
      exit 4
  - id: never
    type: io.kestra.plugin.core.log.Log
    message: never
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.FAILED
    assert "about to fail" in result.messages("WARN")
    assert "command failed with exit code 4" in result.messages("ERROR")
    assert result.task_runs("never") == []


async def test_the_kubernetes_runner_fails_without_retry() -> None:
    flow = """
id: on_kubernetes
namespace: company.team
tasks:
  - id: snapshot
    type: io.kestra.plugin.scripts.shell.Commands
    retry:
      type: constant
      interval: PT0.1S
      maxAttempts: 3
    taskRunner:
      type: io.kestra.plugin.kubernetes.runner.Kubernetes
      namespace: jobs
    commands:
      - pg_dumpall > /tmp/backup.sql
"""
    result = await run_flow(flow, registry=REGISTRY)
    assert result.state is State.FAILED
    assert len(result.task_run("snapshot").attempts) == 1
    assert (
        "the Kubernetes task runner is not available yet; use io.kestra.plugin.core.runner.Process"
        in result.messages("ERROR")
    )


@pytest.fixture
async def engine(tmp_path: Path) -> AsyncIterator[tuple[Engine, FlowRepository]]:
    settings = Settings.load({"home": tmp_path, "lease_seconds": 5.0}, environ={})
    store = open_store(f"sqlite:///{tmp_path / 'headway.db'}")
    await store.open()
    repo = FlowRepository(store, REGISTRY, tenant=settings.tenant, local={})
    the_engine = Engine(store, settings, registry=REGISTRY, flows=repo)
    await the_engine.start()
    try:
        yield the_engine, repo
    finally:
        await the_engine.stop()
        await store.close()


async def test_a_kill_stops_the_script_and_its_children(
    engine: tuple[Engine, FlowRepository], tmp_path: Path
) -> None:
    the_engine, repo = engine
    pid_file = tmp_path / "pid"
    source = f"""
id: killable_script
namespace: company.team
tasks:
  - id: long
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - sleep 30 &
      - sleep 30 &
      - echo $$ > {pid_file}
      - wait
"""
    flow = parse_flow(source, file="<flow>", task_types=REGISTRY)
    repo.add_local(flow, source, "<flow>")
    latest, revision = await repo.latest(flow.namespace, flow.id)
    execution = await the_engine.executor.create_execution(latest, revision, {})
    for _ in range(500):
        if pid_file.exists() and pid_file.read_text().strip():
            break
        await asyncio.sleep(0.01)
    group = int(pid_file.read_text())
    assert group_alive(group)
    await the_engine.executor.request(execution.id, "kill", {})
    done = await asyncio.wait_for(the_engine.wait(execution.id), 10)
    assert done.current is State.KILLED
    # A TaskRun whose start was not reported yet is KILLED without waiting for the worker
    # (engine/evaluation.py), so the worker may still be stopping the group: give it time.
    for _ in range(500):
        if not group_alive(group):
            break
        await asyncio.sleep(0.01)
    assert not group_alive(group)
