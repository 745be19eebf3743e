"""ForEachItem in real flows (engine, worker, SQLite store, local storage): batches, subflow
inputs, merged outputs, failures, a restart of the engine half-way."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from headway.engine.engine import Engine
from headway.engine.flows import FlowRepository, LocalFlow
from headway.flows.loader import parse_flow
from headway.plugins.registry import default_registry
from headway.settings import Settings
from headway.state import State
from headway.store import Store, open_store
from headway.testing import RunResult, run_flow

CHILD = """
id: child
namespace: company.team
inputs:
  - id: rows
    type: FILE
  - id: index
    type: INT
tasks:
  - id: check
    type: io.kestra.plugin.core.execution.Fail
    condition: "{{ read(inputs.rows) contains 'bad' }}"
    errorMessage: "batch {{ inputs.index }} holds a bad row"
  - id: count
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(inputs.rows) | trim }}"
outputs:
  - id: text
    type: STRING
    value: "{{ outputs.count.value }}"
"""


def parent(items: str, *, extra: str = "", batch: str = "rows: 2") -> str:
    return f"""
id: parent
namespace: company.team
inputs:
  - id: file
    type: FILE
tasks:
  - id: each
    type: io.kestra.plugin.core.flow.ForEachItem
    items: "{items}"
    batch:
      {batch}
    namespace: company.team
    flowId: child
    inputs:
      rows: "{{{{ taskrun.items }}}}"
      index: "{{{{ taskrun.iteration }}}}"
{extra}
"""


async def run(source: str, lines: str, tmp_path: Path) -> RunResult:
    data = tmp_path / "items.txt"
    data.write_text(lines)
    return await run_flow(source, {"file": data}, flows={"child.yaml": CHILD})


async def test_one_subflow_per_batch_with_merged_outputs(tmp_path: Path) -> None:
    source = parent(
        "{{ inputs.file }}",
        extra="""
  - id: merged
    type: io.kestra.plugin.core.log.Log
    message: "{{ read(outputs.each.uri) }}"
""",
    )
    result = await run(source, "a\nb\nc\nd\ne\n", tmp_path)
    assert result.state is State.SUCCESS, result.messages()
    assert result.outputs("each")["numberOfBatches"] == 3
    assert result.outputs("each")["iterations"] == {"SUCCESS": 3}
    batches = result.task_runs("each_items")
    assert [(tr.value, tr.iteration) for tr in batches] == [("0", 0), ("1", 1), ("2", 2)]
    assert [tr.outputs["outputs"] for tr in batches] == [  # type: ignore[index]
        {"text": "a\nb"},
        {"text": "c\nd"},
        {"text": "e"},
    ]
    merged = result.outputs("each_merge")["subflowOutputs"]
    assert result.outputs("each")["uri"] == merged
    shown = next(e.message for e in result.logs if e.task_id == "merged")
    lines = [json.loads(line) for line in shown.splitlines()]
    assert lines == [{"text": "a\nb"}, {"text": "c\nd"}, {"text": "e"}]
    assert batches[0].extra["items"].endswith("/each_split/" + _split_id(result) + "/batches/0.txt")


def _split_id(result: RunResult) -> str:
    return result.task_run("each_split").id


async def test_a_failed_batch_fails_the_task_with_transmit_failed(tmp_path: Path) -> None:
    result = await run(parent("{{ inputs.file }}"), "ok\nok\nbad\nok\nok\n", tmp_path)
    assert result.state is State.FAILED
    assert result.outputs("each")["iterations"] == {"SUCCESS": 2, "FAILED": 1}
    states = [tr.current for tr in result.task_runs("each_items")]
    assert states == [State.SUCCESS, State.FAILED, State.SUCCESS]


async def test_without_transmit_failed_a_failed_batch_is_only_counted(tmp_path: Path) -> None:
    source = parent("{{ inputs.file }}").replace(
        "    flowId: child\n", "    flowId: child\n    transmitFailed: false\n"
    )
    result = await run(source, "bad\nok\n", tmp_path)
    assert result.state is State.SUCCESS, result.messages()
    assert result.outputs("each")["iterations"] == {"FAILED": 1}  # the subflow's state
    batch = result.task_run("each_items")
    assert batch.current is State.SUCCESS
    assert batch.outputs["state"] == "FAILED"  # type: ignore[index]


async def test_without_wait_the_task_ends_once_every_batch_started(tmp_path: Path) -> None:
    source = parent("{{ inputs.file }}").replace(
        "    flowId: child\n", "    flowId: child\n    wait: false\n"
    )
    result = await run(source, "1\n2\n3\n4\n", tmp_path)
    assert result.state is State.SUCCESS, result.messages()
    assert result.outputs("each")["iterations"] == {"SUCCESS": 2}
    assert result.task_runs("each_merge") == []
    assert all("executionId" in (tr.outputs or {}) for tr in result.task_runs("each_items"))


async def test_an_empty_file_runs_no_subflow(tmp_path: Path) -> None:
    result = await run(parent("{{ inputs.file }}"), "", tmp_path)
    assert result.state is State.SUCCESS, result.messages()
    assert result.outputs("each") == {"numberOfBatches": 0, "iterations": {}}
    assert result.task_runs("each_items") == []


async def test_items_that_are_not_a_file_of_storage_fail_clearly(tmp_path: Path) -> None:
    result = await run(parent("/etc/passwd"), "x\n", tmp_path)
    assert result.state is State.FAILED
    assert result.task_run("each_split").current is State.FAILED
    assert (
        "items must be a file of internal storage (kestra:///...), got '/etc/passwd'"
        in result.messages("ERROR")
    )
    assert result.task_runs("each_items") == []


async def test_items_of_another_namespace_are_refused(tmp_path: Path) -> None:
    theirs = "kestra:///other/team/flow/executions/x/inputs/file/secret.txt"
    result = await run(parent(theirs), "x\n", tmp_path)
    assert result.state is State.FAILED
    assert any("may only read files of its own namespace" in m for m in result.messages())


SLOW_CHILD = """
id: slow
namespace: company.team
inputs:
  - id: rows
    type: FILE
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.3S
"""


async def test_a_restarted_engine_goes_on_where_the_batches_were(tmp_path: Path) -> None:
    """The task's progress is rebuilt from its TaskRuns: no batch starts twice, none is
    forgotten."""
    settings = Settings.load({"home": tmp_path, "lease_seconds": 5.0}, environ={})
    store = open_store(f"sqlite:///{tmp_path / 'headway.db'}")
    await store.open()
    registry = default_registry()
    source = parent("{{ inputs.file }}", batch="rows: 1").replace("flowId: child", "flowId: slow")
    source = source.replace('      index: "{{ taskrun.iteration }}"\n', "")
    flow = parse_flow(source, file="parent.yaml", task_types=registry)
    local = {
        ("company.team", "parent"): LocalFlow(source, "parent.yaml"),
        ("company.team", "slow"): LocalFlow(SLOW_CHILD, "slow.yaml"),
    }
    data = tmp_path / "items.txt"
    data.write_text("".join(f"{i}\n" for i in range(6)))
    try:
        first = Engine(store, settings, registry=registry, flows=_repo(store, settings, local))
        await first.start()
        latest, revision = await first.flows.latest(flow.namespace, flow.id)
        created = await first.executor.create_execution(latest, revision, {"file": data})
        for _ in range(500):
            execution = await store.get_execution(created.id)
            assert execution is not None
            if any(tr.task_id == "each_items" for tr in execution.task_runs):
                break
            await asyncio.sleep(0.01)
        await first.stop()
        second = Engine(store, settings, registry=registry, flows=_repo(store, settings, local))
        await second.start()
        try:
            done = await second.wait(created.id)
        finally:
            await second.stop()
        assert done.current is State.SUCCESS
        batches = [tr for tr in done.task_runs if tr.task_id == "each_items"]
        assert sorted(tr.iteration or 0 for tr in batches) == list(range(6))
        each = next(tr for tr in done.task_runs if tr.task_id == "each")
        assert each.outputs is not None and each.outputs["iterations"] == {"SUCCESS": 6}
        children = {tr.extra["executionId"] for tr in batches}
        assert len(children) == 6
    finally:
        await store.close()


def _repo(
    store: Store, settings: Settings, local: dict[tuple[str, str], LocalFlow]
) -> FlowRepository:
    return FlowRepository(store, default_registry(), tenant=settings.tenant, local=local)


async def test_partitions_and_labels_reach_each_subflow(tmp_path: Path) -> None:
    source = parent("{{ inputs.file }}", batch="partitions: 2").replace(
        "    flowId: child\n",
        '    flowId: child\n    labels:\n      batch: "{{ taskrun.iteration }}"\n',
    )
    result = await run(source, "1\n2\n3\n4\n5\n", tmp_path)
    assert result.state is State.SUCCESS, result.messages()
    texts = [tr.outputs["outputs"]["text"] for tr in result.task_runs("each_items")]  # type: ignore[index]
    assert texts == ["1\n3\n5", "2\n4"]
    labels = sorted(
        {label["key"]: label["value"] for label in child.labels}["batch"]
        for child in result.children
    )
    assert labels == ["0", "1"]
