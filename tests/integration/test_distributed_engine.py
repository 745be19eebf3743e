"""Several engines on one PostgreSQL store, in one test process (each with its own store
object: its own pool and notification connection, as separate processes have): executors
that own executions, workers alone, kills that reach a remote worker, a worker cut off for
longer than its lease, worker groups' fallback, a worker's drain, a file written on one
"host" read on another through S3-compatible storage."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from engine_cluster import Cluster
from headway.engine.engine import EXECUTOR, WORKER, Engine
from headway.engine.evaluation import LOCAL_SEQ
from headway.engine.leases import reap_dead_local_leases
from headway.errors import StoreError
from headway.execution import Execution, utcnow
from headway.flows.loader import parse_flow
from headway.state import State
from headway.store.base import Batch, Event, Fenced, NewEvent, Ownership, WorkerInfo
from headway.store.postgres import PostgresStore
from s3_support import S3

THREE_STEPS = """\
id: three
namespace: dist
tasks:
  - id: a
    type: io.kestra.plugin.core.debug.Return
    format: "a"
  - id: b
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.a.value }}b"
  - id: c
    type: io.kestra.plugin.core.debug.Return
    format: "{{ outputs.b.value }}c"
"""
SLEEP = """\
id: sleep
namespace: dist
tasks:
  - id: nap
    type: io.kestra.plugin.scripts.shell.Commands
    commands: ["sleep {{ inputs.seconds }}", "echo woke"]
inputs:
  - id: seconds
    type: INT
    defaults: 30
"""
APPROVAL = """\
id: approval
namespace: dist
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.debug.Return
    format: resumed
"""


def group_flow(fallback: str) -> str:
    return f"""\
id: gpu-{fallback.lower()}
namespace: dist
tasks:
  - id: train
    type: io.kestra.plugin.core.debug.Return
    format: trained
    workerGroup:
      key: gpu
      fallback: {fallback}
"""


async def start(engine: Engine, source: str, inputs: dict[str, Any] | None = None) -> Execution:
    flow = parse_flow(source, task_types=engine.registry)
    record = await engine.store.save_flow("main", flow.namespace, flow.id, source)
    return await engine.executor.create_execution(flow, record.revision, inputs or {})


async def until(check: Callable[[], Any], within: float = 10.0) -> Any:
    """Poll ``check`` (a coroutine function) until it returns something truthy."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {within}s")
        await asyncio.sleep(0.05)


async def running(engine: Engine, execution_id: str) -> Execution | None:
    execution = await engine.store.get_execution(execution_id)
    assert execution is not None
    if any(tr.current is State.RUNNING for tr in execution.task_runs):
        return execution
    return None


async def test_two_executors_and_a_worker_run_every_execution_once(cluster: Cluster) -> None:
    first = await cluster.engine(EXECUTOR)
    second = await cluster.engine(EXECUTOR)
    worker = await cluster.engine(WORKER)
    created = [await start(first if n % 2 else second, THREE_STEPS) for n in range(30)]
    done = [await asyncio.wait_for(first.wait(e.id), 30) for e in created]
    assert {e.current for e in done} == {State.SUCCESS}
    for execution in done:
        assert [tr.task_id for tr in execution.task_runs] == ["a", "b", "c"]
        assert [len(tr.attempts) for tr in execution.task_runs] == [1, 1, 1]
        assert execution.task_runs[2].outputs == {"value": "abc"}
        assert {a.worker_id for tr in execution.task_runs for a in tr.attempts} == {
            worker.worker.id
        }
    # Ended executions are given up by their executor.
    assert first.executor.owned == {} and second.executor.owned == {}


async def test_an_execution_changes_hands_only_when_its_owner_lets_go(cluster: Cluster) -> None:
    first = await cluster.engine(EXECUTOR, WORKER)
    second = await cluster.engine(EXECUTOR, WORKER)
    created = await start(first, APPROVAL)
    paused = await asyncio.wait_for(first.wait(created.id), 10)
    assert paused.current is State.PAUSED
    # Either executor may have taken the new execution; one did, not both.
    owner, bystander = (first, second) if created.id in first.executor.owned else (second, first)
    assert created.id in owner.executor.owned and created.id not in bystander.executor.owned
    # While the owner is alive, a resume committed anywhere is the owner's to apply.
    await bystander.store.commit(Batch(events=[NewEvent(created.id, "resume", {"inputs": {}})]))
    done = await asyncio.wait_for(bystander.wait(created.id), 10)
    assert done.current is State.SUCCESS
    assert created.id not in bystander.executor.views
    # The owner gave it up when it ended; stopping gives up the rest.
    assert created.id not in owner.executor.owned


async def test_a_stale_executor_writes_nothing(cluster: Cluster) -> None:
    stale = await cluster.engine(EXECUTOR, WORKER)
    created = await start(stale, APPROVAL)
    await asyncio.wait_for(stale.wait(created.id), 10)
    assert created.id in stale.executor.owned
    # Another executor took the execution while this one was cut off.
    store = stale.store
    assert isinstance(store, PostgresStore)
    async with store._db._pool.connection() as conn:  # type: ignore[union-attr]
        await conn.execute(
            "UPDATE execution_owners SET owner = 'elsewhere', token = 'new' "
            "WHERE execution_id = %s",
            (created.id,),
        )
    before = await store.get_execution(created.id)
    labels = Event(LOCAL_SEQ, created.id, "labels", {"labels": {"by": "stale"}})
    with pytest.raises(Fenced, match="no longer owns"):
        await stale.executor.evaluate(created.id, [labels])
    # Through its loop, the refusal makes it forget the execution (and its cached copy).
    await store.commit(Batch(events=[NewEvent(created.id, "kill")]))
    await until(lambda: _forgotten(stale, created.id))
    assert await store.get_execution(created.id) == before
    assert [e.kind for e in await store.pending_events()] == ["kill"]


async def _forgotten(engine: Engine, execution_id: str) -> bool:
    engine.executor.inbox_changed()
    return execution_id not in engine.executor.views


async def test_a_kill_reaches_a_worker_in_another_process_at_once(cluster: Cluster) -> None:
    executor = await cluster.engine(EXECUTOR)
    worker = await cluster.engine(WORKER)
    created = await start(executor, SLEEP)
    await until(lambda: running(executor, created.id))
    assert worker.worker.running
    asked = utcnow()
    await executor.executor.request(created.id, "kill", {})
    killed = await asyncio.wait_for(executor.wait(created.id), 10)
    assert killed.current is State.KILLED
    assert killed.task_runs[0].current is State.KILLED
    # Told through the store's notification, not at the next heartbeat (10 s).
    assert killed.state.end_date is not None
    assert (killed.state.end_date - asked).total_seconds() < 5
    assert not worker.worker.running


async def test_a_worker_cut_off_longer_than_its_lease_is_replaced_and_its_result_refused(
    cluster: Cluster, monkeypatch: pytest.MonkeyPatch
) -> None:
    executor = await cluster.engine(EXECUTOR, lease=1.5)
    cut_off = await cluster.engine(WORKER, lease=1.5)
    created = await start(executor, SLEEP, {"seconds": 3})
    await until(lambda: running(executor, created.id))

    async def unreachable(*args: Any, **kwargs: Any) -> Any:
        raise StoreError("PostgreSQL store: connection refused (cut off)")

    # It reaches the store no more (but to report); its task goes on.
    monkeypatch.setattr(cut_off.store, "heartbeat", unreachable)
    monkeypatch.setattr(cut_off.store, "claim", unreachable)
    replacement = await cluster.engine(WORKER, lease=1.5)
    done = await asyncio.wait_for(executor.wait(created.id), 20)
    assert done.current is State.SUCCESS
    (nap,) = done.task_runs
    assert [(a.state.current, a.worker_id) for a in nap.attempts] == [
        (State.FAILED, cut_off.worker.id),
        (State.SUCCESS, replacement.worker.id),
    ]
    # The cut-off worker is back and finishes its attempt: its result is refused.
    monkeypatch.undo()
    await until(lambda: _idle(cut_off))
    again = await executor.store.get_execution(created.id)
    assert again is not None and again.task_runs[0].attempts == nap.attempts
    logs = await executor.store.list_logs(created.id)
    assert any("attempt 1 lost" in entry.message for _, entry in logs)


async def _idle(engine: Engine) -> bool:
    return not engine.worker.running


@pytest.mark.parametrize(
    ("fallback", "state", "message"),
    [
        ("FAIL", State.FAILED, "no worker of group 'gpu' is running (workerGroup.fallback: FAIL)"),
        ("CANCEL", State.KILLED, "no worker of group 'gpu'"),
    ],
)
async def test_without_a_worker_of_its_group_a_task_fails_or_is_cancelled(
    cluster: Cluster, fallback: str, state: State, message: str
) -> None:
    engine = await cluster.engine(EXECUTOR, WORKER)
    created = await start(engine, group_flow(fallback))
    done = await asyncio.wait_for(engine.wait(created.id), 10)
    assert done.task_runs[0].current is state
    assert done.current is state
    logs = await engine.store.list_logs(created.id)
    assert any(message in entry.message for _, entry in logs)


async def test_a_task_waits_for_a_worker_of_its_group(cluster: Cluster) -> None:
    engine = await cluster.engine(EXECUTOR, WORKER)
    created = await start(engine, group_flow("WAIT"))
    await asyncio.sleep(1.0)
    waiting = await engine.store.get_execution(created.id)
    assert waiting is not None and waiting.task_runs[0].current is State.CREATED
    gpu = await cluster.engine(WORKER, worker_group="gpu")
    done = await asyncio.wait_for(engine.wait(created.id), 10)
    assert done.current is State.SUCCESS
    assert done.task_runs[0].attempts[0].worker_id == gpu.worker.id
    # With a live worker of the group, FAIL does not fail.
    await engine.executor.refresh_worker_groups()
    created = await start(engine, group_flow("FAIL"))
    assert (await asyncio.wait_for(engine.wait(created.id), 10)).current is State.SUCCESS


async def test_a_stopping_worker_drains_then_hands_back(cluster: Cluster) -> None:
    executor = await cluster.engine(EXECUTOR)
    draining = await cluster.engine(WORKER)
    draining.worker.drain_seconds = 10
    short = await start(executor, SLEEP, {"seconds": 1})
    await until(lambda: running(executor, short.id))
    await draining.stop()  # waits for the running TaskRun
    done = await asyncio.wait_for(executor.wait(short.id), 10)
    assert done.current is State.SUCCESS and len(done.task_runs[0].attempts) == 1

    impatient = await cluster.engine(WORKER)
    impatient.worker.drain_seconds = 0.2
    long = await start(executor, SLEEP, {"seconds": 30})
    await until(lambda: running(executor, long.id))
    await impatient.stop()  # hands its TaskRun back at once: a lost attempt
    await cluster.engine(WORKER)
    rerun = await until(lambda: _attempts(executor, long.id, 2))
    assert rerun[0].state.current is State.FAILED
    await executor.executor.request(long.id, "kill", {})
    assert (await asyncio.wait_for(executor.wait(long.id), 10)).current is State.KILLED


async def _attempts(engine: Engine, execution_id: str, count: int) -> Any:
    execution = await engine.store.get_execution(execution_id)
    assert execution is not None
    attempts = execution.task_runs[0].attempts
    return attempts if len(attempts) >= count else None


async def test_what_a_dead_local_process_held_is_taken_back_at_start(cluster: Cluster) -> None:
    """An engine that starts takes back at once what dead processes of its host held (their
    ids name host and pid): their executions and their TaskRuns' leases; what a live process
    or another host holds is left to expire."""
    first = await cluster.engine(EXECUTOR)
    created = await start(first, SLEEP)
    host = socket.gethostname()
    dead, alive, remote = f"{host}:999999:dead", f"{host}:1:init", "elsewhere:42:w"
    store = first.store
    await until(lambda: _queued(first))
    await first.stop()
    # Pretend a dead executor owns the execution, and a dead worker leases its TaskRun.
    await store.release_ownership(first.executor.id)
    now = utcnow()
    later = now + timedelta(seconds=600)
    taken = await store.inbox(now, ownership=Ownership(dead, later, (created.id,)))
    assert created.id in taken.owned
    await store.inbox(now, ownership=Ownership(alive, later, ("other-execution",)))
    await store.inbox(now, ownership=Ownership(remote, later, ("third-execution",)))
    view = await first.executor.view(created.id)
    assert view is not None and view.execution.current is State.RUNNING
    (queued,) = await store.claim(dead, 1, now, later)
    assert queued.execution_id == created.id

    assert await reap_dead_local_leases(store) == 1
    assert sorted(await store.owners()) == sorted([alive, remote])
    assert [e.kind for e in await store.pending_events()] == ["lost"]
    # So a new engine finishes it at once, not after the 600 s the dead ones held.
    again = await cluster.engine(EXECUTOR, WORKER)
    await again.executor.request(created.id, "kill", {})
    assert (await asyncio.wait_for(again.wait(created.id), 10)).current is State.KILLED


async def _queued(engine: Engine) -> bool:
    return (await engine.store.queue_stats(utcnow())).ready == 1


HANDOVER = """\
id: handover
namespace: dist
tasks:
  - id: make
    type: io.kestra.plugin.core.storage.Write
    content: made on host a
    extension: .txt
    workerGroup:
      key: a
  - id: use
    type: io.kestra.plugin.core.debug.Return
    format: "{{ read(outputs.make.uri) }}"
    workerGroup:
      key: b
"""


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    with S3.s3_server() as url:
        yield url


async def test_a_file_written_on_one_host_is_read_on_another(
    cluster: Cluster, s3_endpoint: str
) -> None:
    S3.create_bucket(s3_endpoint, "headway-handover")
    storage = {
        "storage_type": "s3",
        "storage_s3_bucket": "headway-handover",
        "storage_s3_endpoint": s3_endpoint,
        "storage_s3_region": S3.REGION,
        "storage_s3_access_key": S3.ACCESS_KEY,
        "storage_s3_secret_key": S3.SECRET_KEY,
    }
    # Each engine has a home (and local disk) of its own: only the bucket is shared.
    executor = await cluster.engine(EXECUTOR, **storage)
    host_a = await cluster.engine(WORKER, worker_group="a", **storage)
    host_b = await cluster.engine(WORKER, worker_group="b", **storage)
    created = await start(executor, HANDOVER)
    done = await asyncio.wait_for(executor.wait(created.id), 20)
    assert done.current is State.SUCCESS
    make, use = done.task_runs
    assert make.attempts[0].worker_id == host_a.worker.id
    assert use.attempts[0].worker_id == host_b.worker.id
    assert use.outputs == {"value": "made on host a"}


async def test_a_killed_workers_registration_is_forgotten_after_ten_leases(
    cluster: Cluster,
) -> None:
    executor = await cluster.engine(EXECUTOR, lease=0.3)
    worker = await cluster.engine(WORKER, lease=0.3)
    now = utcnow()
    killed = WorkerInfo("killed-1", None, 4, "host-x", now - timedelta(seconds=10), None)
    # It last beat 5 s ago (over ten leases of 0.3 s); the live worker beats every 0.1 s.
    await executor.store.heartbeat(killed, [], now - timedelta(seconds=5), now)

    async def forgotten() -> bool:
        ids = {w.id for w in await executor.store.workers()}
        return "killed-1" not in ids and worker.worker.id in ids

    await until(forgotten, within=5)
