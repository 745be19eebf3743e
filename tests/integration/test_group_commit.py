"""Group commits, on PostgreSQL. The executor commits the evaluations of one read of its
inbox together (one transaction for up to ``GROUP_COMMIT`` executions); a worker commits
the results that were ready while its previous commit was in flight together. A group
refused (another executor took one of its executions, a worker's lease on one row ended)
or failing is committed one at a time, so one never holds back the others."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from engine_cluster import Cluster
from headway.engine.engine import EXECUTOR, WORKER, Engine
from headway.execution import Execution
from headway.flows.loader import parse_flow
from headway.state import State
from headway.store.base import Batch, ExecutionChanges, Fence, NewEvent
from headway.store.postgres import PostgresStore

APPROVAL = """\
id: approval
namespace: group
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: resumed
"""
LIMITED = """\
id: limited
namespace: group
concurrency:
  limit: 1
  behavior: QUEUE
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
"""


ONE_STEP = """\
id: one
namespace: group
tasks:
  - id: only
    type: io.kestra.plugin.core.debug.Return
    format: done
"""


@pytest.fixture
async def engine(cluster: Cluster) -> Engine:
    """An executor with its worker, in one process."""
    return await cluster.engine(EXECUTOR, WORKER)


class Commits:
    """Records the batches the executor commits; ``before`` runs ahead of each commit."""

    def __init__(self, engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
        self.batches: list[Batch] = []
        self.before: Any = None
        commit = engine.store.commit

        async def recorded(batch: Batch) -> None:
            if self.before is not None:
                await self.before(batch)
            await commit(batch)
            self.batches.append(batch)

        monkeypatch.setattr(engine.store, "commit", recorded)

    def executions_per_commit(self) -> list[int]:
        return [len(b.fence.executions) for b in self.batches if b.fence and b.fence.executor]


async def create(engine: Engine, source: str, count: int) -> list[Execution]:
    """``count`` executions of the flow, committed at once (one read of the inbox)."""
    flow = parse_flow(source, task_types=engine.registry)
    record = await engine.store.save_flow("main", flow.namespace, flow.id, source)
    pairs = [engine.executor.new_execution(flow, record.revision, {}) for _ in range(count)]
    await engine.store.commit(Batch.combine([batch for batch, _ in pairs]))
    engine.executor.inbox_changed()
    return [execution for _, execution in pairs]


async def settle(engine: Engine, executions: list[Execution]) -> list[Execution]:
    return [await asyncio.wait_for(engine.wait(e.id), 10) for e in executions]


async def resume_all(engine: Engine, executions: list[Execution]) -> None:
    events = [NewEvent(e.id, "resume", {"inputs": {}}) for e in executions]
    await engine.store.commit(Batch(events=events))
    engine.executor.inbox_changed()


async def test_the_evaluations_of_one_read_commit_in_one_transaction(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    commits = Commits(engine, monkeypatch)
    executions = await create(engine, APPROVAL, 20)
    assert [e.current for e in await settle(engine, executions)] == [State.PAUSED] * 20
    # The 20 created events were read at once: their evaluations went in one transaction.
    assert commits.executions_per_commit() == [20]
    stored = await engine.store.get_execution(executions[0].id)
    assert stored is not None and [tr.task_id for tr in stored.task_runs] == ["wait"]
    assert await engine.store.pending_events() == []


async def test_a_refused_group_commits_the_others_alone(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    executions = await create(engine, APPROVAL, 3)
    await settle(engine, executions)
    commits = Commits(engine, monkeypatch)
    stolen = executions[1].id
    store = engine.store
    assert isinstance(store, PostgresStore)

    async def steal_once(batch: Batch) -> None:
        if batch.fence and len(batch.fence.executions) == 3:
            # Another executor takes one execution between the read and the commit.
            async with store._db._pool.connection() as conn:  # type: ignore[union-attr]
                await conn.execute(
                    "UPDATE execution_owners SET owner = 'elsewhere', token = 'new' "
                    "WHERE execution_id = %s",
                    (stolen,),
                )

    commits.before = steal_once
    await resume_all(engine, executions)
    done = await settle(engine, [executions[0], executions[2]])
    assert [e.current for e in done] == [State.SUCCESS, State.SUCCESS]
    # The group was refused; each was evaluated again and committed alone, but the stolen
    # one, which this executor forgot. Its resume is left for its new owner.
    await asyncio.sleep(0.3)
    assert stolen not in engine.executor.owned and stolen not in engine.executor.views
    left = await store.get_execution(stolen)
    assert left is not None and left.current is State.PAUSED
    assert [(e.execution_id, e.kind) for e in await store.pending_events()] == [(stolen, "resume")]


async def test_a_group_that_fails_commits_each_alone(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    executions = await create(engine, APPROVAL, 3)
    await settle(engine, executions)
    commits = Commits(engine, monkeypatch)

    async def fail_groups(batch: Batch) -> None:
        if batch.fence and len(batch.fence.executions) > 1:
            raise RuntimeError("a bug in writing one of them")

    commits.before = fail_groups
    await resume_all(engine, executions)
    done = await settle(engine, executions)
    assert [e.current for e in done] == [State.SUCCESS] * 3
    assert set(commits.executions_per_commit()) == {1}


async def test_a_concurrency_limited_start_sees_what_the_group_before_it_ended(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = (await create(engine, LIMITED, 1))[0]
    assert (await settle(engine, [first]))[0].current is State.PAUSED
    queued = (await create(engine, LIMITED, 1))[0]
    await asyncio.sleep(0.3)
    stored = await engine.store.get_execution(queued.id)
    assert stored is not None and stored.current is State.QUEUED
    # Ending the first and waking the queued one are read together; the start of the
    # queued one counts the running executions only after the end is committed.
    commits = Commits(engine, monkeypatch)
    await engine.store.commit(
        Batch(events=[NewEvent(first.id, "kill"), NewEvent(queued.id, "wake")])
    )
    engine.executor.inbox_changed()
    assert (await settle(engine, [first]))[0].current is State.KILLED
    assert (await settle(engine, [queued]))[0].current is State.PAUSED
    # Together, the queued one would have counted the first as running and stayed queued.
    fenced = [b.fence.executions for b in commits.batches if b.fence and b.fence.executor]
    assert fenced[:2] == [[first.id], [queued.id]]


async def test_a_worker_commits_the_results_ready_meanwhile_together(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    executor = await cluster.engine(EXECUTOR)
    worker = await cluster.engine(WORKER)
    commits = Commits(worker, monkeypatch)

    async def slow_first(batch: Batch) -> None:
        if not commits.batches:
            await asyncio.sleep(0.3)  # the others finish while the first is committed

    commits.before = slow_first
    executions = await create(executor, ONE_STEP, 10)
    done = await settle(executor, executions)
    assert [e.current for e in done] == [State.SUCCESS] * 10
    assert all(e.task_runs[0].outputs == {"value": "done"} for e in done)
    results = [sum(e.kind == "result" for e in b.events) for b in commits.batches]
    results = [n for n in results if n]
    assert sum(results) == 10
    assert len(results) <= 4, results  # one commit each without grouping


async def test_a_worker_reads_the_executions_of_what_it_claims_at_once(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    executor = await cluster.engine(EXECUTOR)
    worker = await cluster.engine(WORKER)
    reads: list[list[str]] = []
    execution_changes = worker.store.execution_changes

    async def recorded(known: dict[str, int]) -> dict[str, ExecutionChanges]:
        reads.append(list(known))
        return await execution_changes(known)

    monkeypatch.setattr(worker.store, "execution_changes", recorded)
    slots = worker.worker.slots
    executions = await create(executor, ONE_STEP, slots)
    assert [e.current for e in await settle(executor, executions)] == [State.SUCCESS] * slots
    # Enqueued in one transaction, claimed at once: one read for all.
    assert sorted(i for ids in reads for i in ids) == sorted(e.id for e in executions)
    assert len(reads) == 1


async def test_a_result_whose_lease_ended_does_not_hold_back_the_others(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    executor = await cluster.engine(EXECUTOR)
    worker = await cluster.engine(WORKER)
    store = worker.store
    assert isinstance(store, PostgresStore)
    commits = Commits(worker, monkeypatch)
    taken: list[str] = []

    async def take_one_lease(batch: Batch) -> None:
        if not commits.batches:
            await asyncio.sleep(0.3)
        elif not taken and len(batch.dequeue) > 1:
            # The lease of one row ended and another worker claimed it meanwhile.
            taken.append(batch.dequeue[0])
            async with store._db._pool.connection() as conn:  # type: ignore[union-attr]
                await conn.execute(
                    "UPDATE queue SET worker_id = 'elsewhere' WHERE task_run_id = %s",
                    (taken[0],),
                )

    commits.before = take_one_lease
    executions = await create(executor, ONE_STEP, 10)
    await asyncio.wait_for(_until_queue_holds_only(store, taken), 10)
    assert len(taken) == 1
    stored = [await store.get_execution(e.id) for e in executions]
    dropped = [e for e in stored if e is not None and e.task_runs[0].id == taken[0]]
    assert [e.current for e in dropped] == [State.RUNNING]  # its result was dropped
    others = await settle(executor, [e for e in executions if e.id != dropped[0].id])
    assert [e.current for e in others] == [State.SUCCESS] * 9


async def _until_queue_holds_only(store: PostgresStore, rows: list[str]) -> None:
    while True:
        async with store._db._pool.connection() as conn:  # type: ignore[union-attr]
            cursor = await conn.execute("SELECT task_run_id FROM queue")
            left = [row[0] for row in await cursor.fetchall()]
        if rows and left == rows:
            return
        await asyncio.sleep(0.05)


def test_combine_joins_the_fences_of_one_writer() -> None:
    first = Batch(dequeue=["a"], fence=Fence("x", ["e1"], [("a", "w")], ["e1"]))
    second = Batch(dequeue=["b"], fence=Fence("x", ["e2"]))
    combined = Batch.combine([first, second, Batch(dequeue=["c"])])
    assert combined.dequeue == ["a", "b", "c"]
    assert combined.fence == Fence("x", ["e1", "e2"], [("a", "w")], ["e1"])
    with pytest.raises(AssertionError, match="one writer"):
        Batch.combine([first, Batch(fence=Fence("y", ["e3"]))])
    assert Batch.combine([Batch(), Batch()]).fence is None
