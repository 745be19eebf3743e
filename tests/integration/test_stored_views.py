"""A worker without a local executor keeps the executions it read (StoredViews): a read
of a kept execution brings only the TaskRuns written since, on PostgreSQL (whose TaskRun
rows have revisions)."""

from __future__ import annotations

import pytest
from test_group_commit import create, settle

from engine_cluster import Cluster
from headway.engine.engine import EXECUTOR, WORKER
from headway.engine.view import StoredViews, load_view
from headway.state import State
from headway.store.base import Batch, ExecutionChanges

STEPS = """\
id: steps
namespace: group
tasks:
  - id: s0
    type: io.kestra.plugin.core.debug.Return
    format: "0"
""" + "".join(
    f"""\
  - id: s{i}
    type: io.kestra.plugin.core.debug.Return
    format: "{{{{ outputs.s{i - 1}.value }}}} {i}"
"""
    for i in range(1, 6)
)


async def test_a_worker_keeps_the_executions_it_read_and_reads_only_what_changed(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each step of a sequential flow is claimed by a worker that read the execution for
    the step before: it reads the new TaskRun and the one that ended, not every TaskRun
    again, and renders with the outputs of every earlier step."""
    executor = await cluster.engine(EXECUTOR)
    worker = await cluster.engine(WORKER)
    read: list[int] = []  # TaskRuns read, by read
    execution_changes = worker.store.execution_changes

    async def recorded(known: dict[str, int]) -> dict[str, ExecutionChanges]:
        changes = await execution_changes(known)
        read.append(sum(len(c.execution.task_runs) for c in changes.values()))
        return changes

    monkeypatch.setattr(worker.store, "execution_changes", recorded)
    (execution,) = await create(executor, STEPS, 1)
    (done,) = await settle(executor, [execution])
    assert done.current is State.SUCCESS
    assert done.task_runs[-1].outputs == {"value": "0 1 2 3 4 5"}
    # The first read brings the first TaskRun; each later one the new TaskRun and the one
    # that ended before it (whole reads would have brought 1 + 2 + ... + 6 = 21).
    assert read == [1] + [2] * 5, read


async def test_a_kept_execution_that_lost_task_runs_is_read_whole(cluster: Cluster) -> None:
    """A restart deletes TaskRuns: what was kept no longer adds up, and the execution is
    read again whole."""
    executor = await cluster.engine(EXECUTOR, WORKER)
    store = executor.store
    (execution,) = await create(executor, STEPS, 1)
    (done,) = await settle(executor, [execution])
    views = StoredViews(store, executor.flows, size=4)
    first = (await views.load([done.id]))[done.id]
    assert [tr.task_id for tr in first.execution.task_runs] == [f"s{i}" for i in range(6)]
    dropped = done.task_runs[2]
    await store.commit(Batch(delete_task_runs=[dropped.id]))
    again = await views.load([done.id, "missing"])
    assert again.keys() == {done.id}
    stored = await load_view(store, executor.flows, done.id)
    assert stored is not None
    assert again[done.id].execution == stored.execution
    assert dropped.id not in {tr.id for tr in again[done.id].execution.task_runs}


async def test_only_the_executions_read_last_are_kept(cluster: Cluster) -> None:
    executor = await cluster.engine(EXECUTOR, WORKER)
    executions = await create(executor, STEPS, 3)
    await settle(executor, executions)
    views = StoredViews(executor.store, executor.flows, size=2)
    for execution in executions:
        await views.load([execution.id])
    read: list[dict[str, int]] = []
    execution_changes = executor.store.execution_changes

    async def recorded(known: dict[str, int]) -> dict[str, ExecutionChanges]:
        read.append(known)
        return await execution_changes(known)

    views.store.execution_changes = recorded  # type: ignore[method-assign]
    await views.load([e.id for e in executions])
    # The first was forgotten (nothing known of it); the two read last were kept.
    assert [known > 0 for known in read[0].values()] == [False, True, True]
