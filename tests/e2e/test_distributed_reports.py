"""A worker alone (the distributed mode) reports a TaskRun's start on its own when the task
runs for more than STARTED_AFTER, in the background; its result must still be matched when
that report is lost (the database unreachable for a moment) or committed after the result
(waiting for a connection). Found by test_distributed.py's database restart: before the fix
the result of such a TaskRun was ignored (no attempt to match it), its queue row removed,
and the execution stayed RUNNING for ever.

In one process, an executor and a worker on stores of their own (as separate processes),
on the test PostgreSQL database."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest

from headway.engine.engine import EXECUTOR, WORKER, Engine
from headway.errors import StoreError
from headway.execution import iso, utcnow
from headway.flows.loader import parse_flow
from headway.settings import Settings
from headway.state import State
from headway.store.base import Batch
from headway.store.postgres import PostgresStore
from postgres_db import PostgresDatabase

pytestmark = pytest.mark.slow

NAP = """\
id: nap
namespace: reports
tasks:
  - id: nap
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands: ["sleep 0.5"]
"""


class FlakyStarts(PostgresStore):
    """Fails, or delays, the first commit that reports only a start."""

    def __init__(self, url: str, mode: str) -> None:
        super().__init__(url)
        self.mode = mode
        self.tripped = False

    async def commit(self, batch: Batch) -> None:
        starts = batch.events and all(e.kind == "started" for e in batch.events)
        if starts and not self.tripped:
            self.tripped = True
            if self.mode == "lost":
                raise StoreError("the database restarted (simulated)")
            await asyncio.sleep(1.5)  # waiting for a connection: the result goes first
        await super().commit(batch)


@pytest.fixture
async def stack() -> AsyncIterator[AsyncExitStack]:
    async with AsyncExitStack() as stack:
        yield stack


@pytest.mark.parametrize("mode", ["lost", "late"])
async def test_the_result_is_matched_when_the_start_report_is_lost_or_late(
    postgres_database: PostgresDatabase, tmp_path: Path, stack: AsyncExitStack, mode: str
) -> None:
    postgres_database.truncate()
    flaky = FlakyStarts(postgres_database.url, mode)
    stores = [PostgresStore(postgres_database.url), flaky]
    engines = []
    for index, (store, component) in enumerate(zip(stores, (EXECUTOR, WORKER), strict=True)):
        await store.open()
        stack.push_async_callback(store.close)
        settings = Settings.load({"home": tmp_path / str(index), "lease_seconds": 3}, environ={})
        engine = Engine(store, settings, components=frozenset({component}))
        await engine.start()
        stack.push_async_callback(engine.stop)
        engines.append(engine)
    executor = engines[0]
    flow = parse_flow(NAP, task_types=executor.registry)
    record = await stores[0].save_flow("main", flow.namespace, flow.id, NAP)
    execution = await executor.executor.create_execution(flow, record.revision, {})

    ended = await asyncio.wait_for(executor.wait(execution.id), 20)

    assert flaky.tripped
    assert ended.current is State.SUCCESS
    (task_run,) = ended.task_runs
    assert [a.state.current for a in task_run.attempts] == [State.SUCCESS]
    assert (await stores[0].queue_stats(utcnow())).leased == 0


QUICK = """\
id: quick
namespace: reports
tasks:
  - id: only
    type: io.kestra.plugin.core.debug.Return
    format: done
"""


class Recorded(PostgresStore):
    """Keeps the batches committed through it."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.batches: list[Batch] = []

    async def commit(self, batch: Batch) -> None:
        await super().commit(batch)
        self.batches.append(batch)


async def test_a_quick_task_reports_its_start_in_its_result_event(
    postgres_database: PostgresDatabase, tmp_path: Path, stack: AsyncExitStack
) -> None:
    postgres_database.truncate()
    worker_store = Recorded(postgres_database.url)
    stores = [PostgresStore(postgres_database.url), worker_store]
    engines = []
    for index, (store, component) in enumerate(zip(stores, (EXECUTOR, WORKER), strict=True)):
        await store.open()
        stack.push_async_callback(store.close)
        settings = Settings.load({"home": tmp_path / str(index)}, environ={})
        engine = Engine(store, settings, components=frozenset({component}))
        await engine.start()
        stack.push_async_callback(engine.stop)
        engines.append(engine)
    executor, worker = engines
    flow = parse_flow(QUICK, task_types=executor.registry)
    record = await stores[0].save_flow("main", flow.namespace, flow.id, QUICK)
    execution = await executor.executor.create_execution(flow, record.revision, {})

    ended = await asyncio.wait_for(executor.wait(execution.id), 20)

    assert ended.current is State.SUCCESS
    (events,) = [b.events for b in worker_store.batches if b.events]
    (result,) = events  # one event: no `started` of its own
    assert result.kind == "result"
    assert result.payload["started"]["workerId"] == worker.worker.id
    (task_run,) = ended.task_runs
    (attempt,) = task_run.attempts
    assert attempt.worker_id == worker.worker.id
    assert [state for state, _ in task_run.state.histories] == [
        State.CREATED,
        State.RUNNING,
        State.SUCCESS,
    ]
    assert iso(task_run.state.histories[1][1]) == result.payload["started"]["date"]
