"""What needs more than one execution or a request while an execution runs: concurrency
limits (QUEUE, CANCEL, FAIL), Pause resumed with ``onResume`` inputs, kill; and a disabled
flow, which cannot start.

Each test drives :class:`headway.engine.engine.Engine` directly, as ``headway.testing`` does.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from headway.engine.engine import Engine
from headway.engine.flows import FlowRepository, LocalFlow
from headway.errors import HeadwayError
from headway.execution import Execution
from headway.flows.loader import parse_flow
from headway.plugins.registry import default_registry
from headway.settings import Settings
from headway.state import State
from headway.store import open_store

CHILD = """
id: child
namespace: actions
tasks:
  - id: long
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT10S
"""


class Harness:
    """An engine on a temporary SQLite store, with flows given as YAML text."""

    def __init__(self, engine: Engine, repo: FlowRepository) -> None:
        self.engine = engine
        self.repo = repo
        self.registry = default_registry()

    async def start(self, source: str, inputs: dict[str, Any] | None = None) -> str:
        flow = parse_flow(source, file="<flow>", task_types=self.registry)
        self.repo.add_local(flow, source, "<flow>")
        latest, revision = await self.repo.latest(flow.namespace, flow.id)
        execution = await self.engine.executor.create_execution(latest, revision, inputs or {})
        return execution.id

    async def settled(self, execution_id: str) -> Execution:
        """Terminal, or paused waiting for a person."""
        return await asyncio.wait_for(self.engine.wait(execution_id), 5)

    async def until(self, execution_id: str, *states: State) -> Execution:
        """Poll until the execution is in one of ``states``."""
        for _ in range(500):
            execution = await self.engine.store.get_execution(execution_id)
            assert execution is not None
            if execution.current in states:
                return execution
            await asyncio.sleep(0.01)
        raise AssertionError(f"{execution_id} never reached {states}: {execution.current}")

    async def worker_busy(self, busy: bool) -> None:
        """Poll until the worker runs a task (or none)."""
        for _ in range(100):
            if bool(self.engine.worker.running) is busy:
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"the worker is still {'idle' if busy else 'busy'}")

    async def request(self, execution_id: str, kind: str, payload: dict[str, Any]) -> None:
        await self.engine.executor.request(execution_id, kind, payload)


@pytest.fixture
async def harness(tmp_path: Path) -> AsyncIterator[Harness]:
    settings = Settings.load({"home": tmp_path, "lease_seconds": 5.0}, environ={})
    store = open_store(f"sqlite:///{tmp_path / 'headway.db'}")
    await store.open()
    registry = default_registry()
    child = parse_flow(CHILD, file="child.yaml", task_types=registry)
    repo = FlowRepository(
        store,
        registry,
        tenant=settings.tenant,
        local={(child.namespace, child.id): LocalFlow(CHILD, "child.yaml")},
    )
    engine = Engine(store, settings, registry=registry, flows=repo)
    await engine.start()
    try:
        yield Harness(engine, repo)
    finally:
        await engine.stop()
        await store.close()


def _limited(behavior: str) -> str:
    return f"""
id: limited_{behavior.lower()}
namespace: actions
concurrency:
  limit: 1
  behavior: {behavior}
tasks:
  - id: nap
    type: io.kestra.plugin.core.flow.Sleep
    # Long enough that the first still runs when the second starts, on a loaded machine.
    duration: PT1S
"""


def _states(execution: Execution) -> list[State]:
    return [state for state, _ in execution.state.histories]


async def test_concurrency_queue_runs_the_second_after_the_first(harness: Harness) -> None:
    first = await harness.start(_limited("QUEUE"))
    await harness.until(first, State.RUNNING)
    second = await harness.start(_limited("QUEUE"))
    await harness.until(second, State.QUEUED)
    done_first = await harness.settled(first)
    done_second = await harness.settled(second)
    assert done_first.current is State.SUCCESS
    assert done_second.current is State.SUCCESS
    assert _states(done_second)[:3] == [State.CREATED, State.QUEUED, State.RUNNING]
    started_second = done_second.state.histories[2][1]
    assert done_first.state.end_date is not None
    assert started_second >= done_first.state.end_date


@pytest.mark.parametrize(("behavior", "end"), [("CANCEL", State.CANCELLED), ("FAIL", State.FAILED)])
async def test_concurrency_cancel_or_fail_ends_the_second_at_once(
    harness: Harness, behavior: str, end: State
) -> None:
    first = await harness.start(_limited(behavior))
    await harness.until(first, State.RUNNING)
    second = await harness.start(_limited(behavior))
    done_second = await harness.settled(second)
    assert done_second.current is end
    assert done_second.task_runs == []
    assert (await harness.settled(first)).current is State.SUCCESS


PAUSE = """
id: approval
namespace: actions
tasks:
  - id: wait_for_approval
    type: io.kestra.plugin.core.flow.Pause
    onResume:
      - id: approved
        type: BOOLEAN
        defaults: false
      - id: reason
        type: STRING
        defaults: no reason given
  - id: decide
    type: io.kestra.plugin.core.debug.Return
    format: >-
      {{ outputs.wait_for_approval.onResume.approved }}
      {{ outputs.wait_for_approval.onResume.reason }}
"""


async def test_pause_waits_for_a_resume_with_on_resume_inputs(harness: Harness) -> None:
    execution_id = await harness.start(PAUSE)
    paused = await harness.settled(execution_id)
    assert paused.current is State.PAUSED
    assert [tr.current for tr in paused.task_runs] == [State.PAUSED]
    await harness.request(execution_id, "resume", {"inputs": {"approved": "true"}})
    done = await harness.until(execution_id, State.SUCCESS, State.FAILED)
    assert done.current is State.SUCCESS
    pause, decide = done.task_runs
    assert pause.outputs is not None
    assert pause.outputs["onResume"] == {"approved": True, "reason": "no reason given"}
    assert decide.outputs == {"value": "true no reason given"}


async def test_pause_with_a_timeout_fails_when_not_resumed(harness: Harness) -> None:
    execution_id = await harness.start(
        """
id: expiring
namespace: actions
tasks:
  - id: pause
    type: io.kestra.plugin.core.flow.Pause
    timeout: PT0.2S
"""
    )
    assert (await harness.settled(execution_id)).current is State.PAUSED
    done = await harness.until(execution_id, State.SUCCESS, State.FAILED)
    assert done.current is State.FAILED
    assert done.task_runs[0].current is State.FAILED


async def test_kill_stops_a_running_task(harness: Harness) -> None:
    execution_id = await harness.start(
        """
id: killable
namespace: actions
tasks:
  - id: long
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT10S
  - id: never
    type: io.kestra.plugin.core.log.Log
    message: never
"""
    )
    await harness.until(execution_id, State.RUNNING)
    await harness.worker_busy(True)
    await harness.request(execution_id, "kill", {})
    done = await harness.settled(execution_id)
    assert done.current is State.KILLED
    assert [(tr.task_id, tr.current) for tr in done.task_runs] == [("long", State.KILLED)]
    # The worker stopped the task; it does not sleep on.
    await harness.worker_busy(False)


async def test_kill_of_a_paused_execution(harness: Harness) -> None:
    execution_id = await harness.start(PAUSE)
    assert (await harness.settled(execution_id)).current is State.PAUSED
    await harness.request(execution_id, "kill", {})
    done = await harness.until(execution_id, State.KILLED, State.FAILED, State.SUCCESS)
    assert done.current is State.KILLED
    assert done.task_runs[0].current is State.KILLED


async def test_kill_reaches_a_subflow_that_is_waited_for(harness: Harness) -> None:
    execution_id = await harness.start(
        """
id: parent
namespace: actions
tasks:
  - id: sub
    type: io.kestra.plugin.core.flow.Subflow
    namespace: actions
    flowId: child
"""
    )
    for _ in range(500):
        parent = await harness.engine.store.get_execution(execution_id)
        assert parent is not None
        child_id = parent.task_runs[0].extra.get("executionId") if parent.task_runs else None
        if child_id:
            break
        await asyncio.sleep(0.01)
    assert child_id
    await harness.until(child_id, State.RUNNING)
    await harness.request(execution_id, "kill", {})
    done = await harness.settled(execution_id)
    child = await harness.settled(child_id)
    assert child.current is State.KILLED
    assert done.current is State.KILLED
    assert done.task_runs[0].current is State.KILLED


async def test_kill_stops_every_branch_of_a_parallel(harness: Harness) -> None:
    execution_id = await harness.start(
        """
id: parallel_kill
namespace: actions
tasks:
  - id: parallel
    type: io.kestra.plugin.core.flow.Parallel
    tasks:
      - id: one
        type: io.kestra.plugin.core.flow.Sleep
        duration: PT10S
      - id: two
        type: io.kestra.plugin.core.flow.Sleep
        duration: PT10S
"""
    )
    await harness.until(execution_id, State.RUNNING)
    await harness.worker_busy(True)
    await harness.request(execution_id, "kill", {})
    done = await harness.settled(execution_id)
    assert done.current is State.KILLED
    assert {tr.task_id: tr.current for tr in done.task_runs} == {
        "parallel": State.KILLED,
        "one": State.KILLED,
        "two": State.KILLED,
    }
    await harness.worker_busy(False)


async def test_a_disabled_flow_cannot_start(harness: Harness) -> None:
    with pytest.raises(HeadwayError, match="disabled"):
        await harness.start(
            """
id: off
namespace: actions
disabled: true
tasks:
  - id: never
    type: io.kestra.plugin.core.log.Log
    message: never
"""
        )


LONG_AND_QUICK = """
id: long_and_quick
namespace: actions
tasks:
  - id: quick
    type: io.kestra.plugin.core.log.Log
    message: quick
  - id: long
    type: io.kestra.plugin.core.flow.Sleep
    duration: PT0.6S
"""


async def test_a_running_task_shows_running_with_its_attempt(harness: Harness) -> None:
    execution_id = await harness.start(LONG_AND_QUICK)
    seen = None
    for _ in range(100):
        execution = await harness.engine.store.get_execution(execution_id)
        assert execution is not None
        runs = {tr.task_id: tr for tr in execution.task_runs}
        if "long" in runs and runs["long"].current is State.RUNNING:
            seen = runs["long"]
            break
        await asyncio.sleep(0.02)
    assert seen is not None, "the long task never showed RUNNING while it ran"
    assert len(seen.attempts) == 1 and seen.attempts[0].state.current is State.RUNNING
    done = await harness.settled(execution_id)
    assert done.current is State.SUCCESS
    assert [len(tr.attempts) for tr in done.task_runs] == [1, 1]


STEPS = """
id: steps
namespace: actions
tasks:
""" + "".join(
    f"""
  - id: s{i}
    type: io.kestra.plugin.core.debug.Return
    format: "{i}"
"""
    for i in range(20)
)


async def test_waiters_of_one_execution_each_get_it_without_a_read_per_step(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two waiters of the same execution both answer when it ends (one ending first does
    not leave the other to polls), and each reads the execution a bounded number of times
    (at the start and once it settled), not at each of its 20 steps."""
    reads: list[str] = []
    get_execution = harness.engine.store.get_execution

    async def counted(execution_id: str) -> Execution | None:
        reads.append(execution_id)
        return await get_execution(execution_id)

    monkeypatch.setattr(harness.engine.store, "get_execution", counted)
    execution_id = await harness.start(STEPS)
    first, second = await asyncio.wait_for(
        asyncio.gather(harness.engine.wait(execution_id), harness.engine.wait(execution_id)), 5
    )
    assert first.current is second.current is State.SUCCESS
    assert len(first.task_runs) == 20
    # Each waiter: a read at the start, one once settled, and maybe one poll a second.
    assert len(reads) <= 2 * 3, reads
