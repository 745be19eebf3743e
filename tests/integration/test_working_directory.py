"""WorkingDirectory in real flows (engine, worker, SQLite store): tasks that share files, the
directory's lifetime, a lost directory, the cache, namespace files, bad definitions."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from headway.engine.engine import Engine
from headway.engine.flows import FlowRepository, LocalFlow
from headway.errors import HeadwayError
from headway.flows.loader import parse_flow
from headway.plugins.flowable.working_directory import MAX_ROUNDS
from headway.plugins.registry import default_registry
from headway.settings import Settings
from headway.state import State
from headway.store import open_store
from headway.testing import run_flow

SHARED = """
id: shared
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: first
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - 'echo "{{ taskrun.id }}" > {{ workingDir }}/stay.txt'
      - id: second
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - echo '::{"outputs":{"stay":"'$(cat stay.txt)'","dir":"{{ workingDir }}"}}::'
  - id: alone
    type: io.kestra.plugin.scripts.shell.Commands
    commands:
      - test ! -e stay.txt
      - echo '::{"outputs":{"dir":"{{ workingDir }}"}}::'
"""


async def test_tasks_share_one_directory_removed_at_the_end() -> None:
    result = await run_flow(SHARED)
    assert result.state is State.SUCCESS, result.messages()
    second = result.outputs("second")["vars"]
    assert second["stay"] == result.task_run("first").id
    shared = Path(second["dir"])
    assert shared.name == f"{result.task_run('wdir').id}-0"
    assert not await asyncio.to_thread(shared.exists)  # removed by the teardown step
    assert result.outputs("alone")["vars"]["dir"] != second["dir"]
    order = [tr.task_id for tr in result.execution.task_runs]
    assert order == ["wdir", "wdir_setup", "first", "second", "wdir_teardown", "alone"]
    children = {tr.parent_task_run_id for tr in result.execution.task_runs if tr.task_id != "wdir"}
    assert children == {result.task_run("wdir").id, None}


async def test_a_failure_removes_the_directory_and_runs_errors_outside_it() -> None:
    flow = """
id: failing_group
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    outputFiles: ["*.log"]
    tasks:
      - id: work
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - echo partial > run.log
          - echo '::{"outputs":{"dir":"{{ workingDir }}"}}::'
          - exit 3
      - id: never
        type: io.kestra.plugin.core.log.Log
        message: never
    errors:
      - id: handler
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - test ! -e run.log
          - echo handled
"""
    result = await run_flow(flow)
    assert result.state is State.FAILED
    assert result.task_runs("never") == []
    assert result.task_run("handler").current is State.SUCCESS
    assert result.task_run("wdir_teardown").current is State.SUCCESS
    # As Kestra's post-execution: output files are kept after a failure too.
    assert set(result.outputs("wdir")["outputFiles"]) == {"run.log"}
    assert "command failed with exit code 3" in result.messages("ERROR")


async def test_a_lost_directory_runs_the_group_again_from_its_start() -> None:
    # In the first round only, 'vanish' removes the directory, as a worker host lost would.
    flow = """
id: lost_once
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    inputFiles:
      input.txt: data
    tasks:
      - id: vanish
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - '[ -n "{{ taskrun.iteration }}" ] || rm -rf {{ workingDir }}'
      - id: use
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - cat input.txt
"""
    result = await run_flow(flow)
    assert result.state is State.SUCCESS, result.messages()
    states = [(tr.task_id, tr.iteration, tr.current) for tr in result.execution.task_runs]
    assert states == [
        ("wdir", None, State.SUCCESS),
        ("wdir_setup", None, State.SUCCESS),
        ("vanish", None, State.SUCCESS),
        ("use", None, State.FAILED),
        ("wdir_teardown", None, State.SUCCESS),
        ("wdir_setup", 1, State.SUCCESS),
        ("vanish", 1, State.SUCCESS),
        ("use", 1, State.SUCCESS),
        ("wdir_teardown", 1, State.SUCCESS),
    ]
    lost = next(tr for tr in result.task_runs("use") if tr.current is State.FAILED)
    assert lost.outputs == {"workingDirectoryLost": True}
    assert len(lost.attempts) == 1  # not retried: the group starts again instead
    assert any("is gone" in m for m in result.messages("ERROR"))
    assert any("running the group again from its start" in m for m in result.messages("WARN"))
    assert "data" in result.messages("INFO")


async def test_a_directory_lost_every_time_fails_the_group() -> None:
    flow = """
id: lost_always
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: vanish
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["rm -rf {{ workingDir }}"]
      - id: use
        type: io.kestra.plugin.core.log.Log
        message: never logged
"""
    result = await run_flow(flow)
    assert result.state is State.FAILED
    assert len(result.task_runs("use")) == MAX_ROUNDS
    assert all(tr.current is State.FAILED for tr in result.task_runs("use"))
    given_up = f"the group's working directory was lost {MAX_ROUNDS} times"
    assert result.messages("ERROR").count(given_up) == 1


async def test_the_cache_is_restored_by_the_next_execution(tmp_path: Path) -> None:
    flow = """
id: cached
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    cache:
      patterns: ["deps/**"]
      ttl: PT1H
    tasks:
      - id: install
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - if [ -f deps/lib.txt ]; then echo "cached $(cat deps/lib.txt)"; exit 0; fi
          - mkdir -p deps && echo v1 > deps/lib.txt && echo other > other.txt
          - echo installed
"""
    settings = Settings.load({"home": tmp_path, "lease_seconds": 5.0}, environ={})
    store = open_store(f"sqlite:///{tmp_path / 'headway.db'}")
    await store.open()
    try:
        first = await run_flow(flow, store=store, settings=settings)
        assert first.state is State.SUCCESS, first.messages()
        assert "installed" in first.messages("INFO")
        assert "cached 1 file(s)" in first.messages("INFO")
        second = await run_flow(flow, store=store, settings=settings)
        assert second.state is State.SUCCESS, second.messages()
        assert "cached v1" in second.messages("INFO")
        assert "restored 1 cached file(s)" in second.messages("INFO")
        # Nothing changed: the archive is not written again.
        assert "cached 1 file(s)" not in second.messages("INFO")
        # An archive gone from storage: a warning, and the tasks do the work again.
        (archive,) = await asyncio.to_thread(lambda: list(tmp_path.rglob("cache.tar.gz")))
        await asyncio.to_thread(archive.unlink)
        third = await run_flow(flow, store=store, settings=settings)
        assert third.state is State.SUCCESS, third.messages()
        assert any(m.startswith("cache not restored") for m in third.messages("WARN"))
        assert "installed" in third.messages("INFO")
    finally:
        await store.close()


async def test_namespace_files_are_copied_into_the_directory() -> None:
    flow = """
id: ns_files
namespace: company.team
tasks:
  - id: upload
    type: io.kestra.plugin.core.namespace.UploadFiles
    namespace: company.team
    filesMap:
      etl/config.txt: from the namespace
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    namespaceFiles:
      enabled: true
      include: ["etl/**"]
    inputFiles:
      local.txt: inline
    tasks:
      - id: show
        type: io.kestra.plugin.scripts.shell.Commands
        commands:
          - cat etl/config.txt; echo; cat local.txt
"""
    result = await run_flow(flow)
    assert result.state is State.SUCCESS, result.messages()
    assert "from the namespace" in result.messages("INFO")
    assert "inline" in result.messages("INFO")


async def test_an_input_file_from_storage_and_a_bad_output_glob() -> None:
    flow = """
id: storage_files
namespace: company.team
tasks:
  - id: make
    type: io.kestra.plugin.scripts.shell.Commands
    outputFiles: [made.txt]
    commands: ["echo stored > made.txt"]
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    inputFiles:
      copy.txt: "{{ outputs.make.outputFiles['made.txt'] }}"
    outputFiles: ["../escape"]
    tasks:
      - id: show
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["cat copy.txt"]
"""
    result = await run_flow(flow)
    assert result.state is State.FAILED
    assert "stored" in result.messages("INFO")
    assert result.task_run("wdir_teardown").current is State.FAILED
    assert any("escapes the working directory" in m for m in result.messages("ERROR"))


@pytest.mark.parametrize(
    ("tasks", "message"),
    [
        (
            "[{id: inner, type: io.kestra.plugin.core.flow.Sequential, tasks: "
            "[{id: x, type: io.kestra.plugin.core.log.Log, message: x}]}]",
            "a WorkingDirectory runs only runnable tasks",
        ),
        ("[]", "tasks"),
    ],
)
def test_bad_groups_are_refused(tasks: str, message: str) -> None:
    flow = f"""
id: bad
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks: {tasks}
"""
    with pytest.raises(HeadwayError) as error:
        parse_flow(flow, file="bad.yaml", task_types=default_registry())
    assert message in str(error.value)


def test_an_input_file_escaping_the_directory_is_refused() -> None:
    flow = """
id: bad
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    inputFiles:
      ../../etc/passwd: nope
    tasks:
      - {id: x, type: io.kestra.plugin.core.log.Log, message: x}
"""
    with pytest.raises(HeadwayError) as error:
        parse_flow(flow, file="bad.yaml", task_types=default_registry())
    assert "escapes the working directory" in str(error.value)


async def test_a_killed_group_leaves_its_directory_to_the_sweep(tmp_path: Path) -> None:
    flow_text = """
id: killed
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - id: long
        type: io.kestra.plugin.scripts.shell.Commands
        commands: ["sleep 30"]
"""
    settings = Settings.load({"home": tmp_path, "lease_seconds": 5.0}, environ={})
    store = open_store(f"sqlite:///{tmp_path / 'headway.db'}")
    await store.open()
    registry = default_registry()
    repo = FlowRepository(
        store,
        registry,
        tenant=settings.tenant,
        local={("company.team", "killed"): LocalFlow(flow_text, "killed.yaml")},
    )
    engine = Engine(store, settings, registry=registry, flows=repo)
    engine.worker.working_dirs = tmp_path / "working-dirs"
    await engine.start()
    try:
        flow, revision = await repo.latest("company.team", "killed")
        created = await engine.executor.create_execution(flow, revision, {})
        directory = engine.worker.working_dirs / created.id
        for _ in range(500):
            execution = await store.get_execution(created.id)
            assert execution is not None
            running = {tr.task_id for tr in execution.task_runs if tr.current is State.RUNNING}
            if "long" in running:
                break
            await asyncio.sleep(0.01)
        assert await asyncio.to_thread(directory.is_dir)
        assert await engine.worker.sweep_working_dirs() == []  # still running: kept
        await engine.executor.request(created.id, "kill", {})
        done = await engine.wait(created.id)
        assert done.current is State.KILLED
        assert await engine.worker.sweep_working_dirs() == [created.id]
        assert not await asyncio.to_thread(directory.exists)
    finally:
        await engine.stop()
        await store.close()


def test_a_task_named_like_an_internal_step_is_refused() -> None:
    flow = """
id: clash
namespace: company.team
tasks:
  - id: wdir
    type: io.kestra.plugin.core.flow.WorkingDirectory
    tasks:
      - {id: x, type: io.kestra.plugin.core.log.Log, message: x}
  - id: wdir_teardown
    type: io.kestra.plugin.core.log.Log
    message: y
"""
    with pytest.raises(HeadwayError) as error:
        parse_flow(flow, file="clash.yaml", task_types=default_registry())
    assert "task id 'wdir_teardown' is taken by an internal step of task 'wdir'" in str(error.value)
