"""An attempt lost before it reported its start (the worker died between its claim, or the
hand-over, and its first report): taken back at once by the next engine of the host, it is
FAILED and the TaskRun runs again under its retry policy -- whether it was its first attempt
(the TaskRun still CREATED) or a retry (the TaskRun RETRYING).

This is what ``headway executions recover`` meets after ``headway run`` was killed with
SIGKILL while a TaskRun with a retry policy was leased to its worker
(tests/e2e/test_recovery.py)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from headway.engine.engine import EXECUTOR, WORKER, Engine
from headway.engine.flows import FlowRepository
from headway.execution import Execution, iso, utcnow
from headway.flows.loader import parse_flow
from headway.plugins.registry import default_registry
from headway.settings import Settings
from headway.state import State
from headway.store import Batch, Store, open_store
from headway.store.base import Fence, NewEvent, QueuedTaskRun

RETRIED = """
id: retried
namespace: lost
tasks:
  - id: flaky
    type: io.kestra.plugin.core.log.Log
    message: "attempt {{ taskrun.attemptsCount }}"
    retry:
      type: constant
      interval: PT0.1S
      maxAttempts: 5
"""


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'headway.db'}")
    await store.open()
    try:
        yield store
    finally:
        await store.close()


def _dead_worker_id() -> str:
    """The id a worker of a process of this host that no longer exists had."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return f"{socket.gethostname()}:{process.pid}:deadbeef"


def _engine(store: Store, tmp_path: Path, *components: str) -> Engine:
    settings = Settings.load({"home": tmp_path, "lease_seconds": 30.0}, environ={})
    registry = default_registry()
    flow = parse_flow(RETRIED, file="retried.yaml", task_types=registry)
    repo = FlowRepository(store, registry, tenant=settings.tenant)
    repo.add_local(flow, RETRIED, "retried.yaml")
    return Engine(store, settings, registry=registry, flows=repo, components=frozenset(components))


async def _ready_row(store: Store) -> QueuedTaskRun:
    """Claim the queued TaskRun once it is ready, for a worker that dies at once."""
    for _ in range(500):
        now = utcnow()
        claimed = await store.claim(_dead_worker_id(), 1, now, now + timedelta(seconds=600))
        if claimed:
            return claimed[0]
        await asyncio.sleep(0.01)
    raise AssertionError("no TaskRun became ready")


async def _fail_attempt(store: Store, item: QueuedTaskRun, worker_id: str) -> None:
    """Report the attempt FAILED, as a worker of another process would."""
    now = iso(utcnow())
    payload: dict[str, Any] = {
        "taskRunId": item.task_run_id,
        "attempt": item.attempt,
        "state": State.FAILED.value,
        "outputs": None,
        "retryable": True,
        "date": now,
        "started": {"date": now, "workerId": worker_id},
    }
    await store.commit(
        Batch(
            events=[NewEvent(item.execution_id, "result", payload)],
            dequeue=[item.task_run_id],
            fence=Fence(leases=[(item.task_run_id, worker_id)]),
        )
    )


@pytest.mark.parametrize("lost_attempt", [1, 2])
async def test_an_attempt_lost_before_its_start_is_retried_at_once(
    store: Store, tmp_path: Path, lost_attempt: int
) -> None:
    # An executor alone leaves the TaskRun in the queue (no local worker to hand it to).
    first = _engine(store, tmp_path, EXECUTOR)
    await first.start()
    try:
        flow, revision = await first.flows.latest("lost", "retried")
        created = await first.executor.create_execution(flow, revision, {})
        item = await _ready_row(store)
        if lost_attempt == 2:
            # Its first attempt failed: the TaskRun is RETRYING, its retry queued.
            await _fail_attempt(store, item, item.worker_id or "")
            item = await _ready_row(store)
        assert item.attempt == lost_attempt
    finally:
        await first.stop()
    before = await store.get_execution(created.id)
    assert before is not None
    (flaky,) = before.task_runs
    assert flaky.current is (State.CREATED if lost_attempt == 1 else State.RETRYING)
    assert len(flaky.attempts) == lost_attempt - 1

    # The worker that claimed it died before its start was reported: the next engine takes
    # it back at start (not after its 600 s lease), and runs it again.
    again = _engine(store, tmp_path, EXECUTOR, WORKER)
    await again.start()
    try:
        done: Execution = await asyncio.wait_for(again.wait(created.id), 10)
    finally:
        await again.stop()
    assert done.current is State.SUCCESS
    (flaky,) = done.task_runs
    assert [a.state.current for a in flaky.attempts] == [
        *[State.FAILED] * lost_attempt,
        State.SUCCESS,
    ]
    assert flaky.extra["lostAttempts"] == 1
    assert flaky.attempts[-1].worker_id == again.worker.id
