"""The engine of one process: an executor and a worker sharing one store, or either alone.

``headway run``, ``headway executions recover``, ``headway server`` and ``headway worker``
use this. With both, TaskRuns go from the executor to the worker and results back in memory;
alone, each finds its work in the store (woken by its notifications where it has them).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from headway.engine.evaluation import EngineEnv
from headway.engine.executor import Executor
from headway.engine.flows import FlowRepository
from headway.engine.leases import reap_dead_local_leases
from headway.engine.rendering import StoreBridge
from headway.engine.view import ExecutionView, StoredViews
from headway.engine.worker import Worker
from headway.execution import Execution, LogEntry
from headway.masking import Masker
from headway.plugins.flowable.pause import RESUMES_AT
from headway.plugins.registry import Registry, default_registry
from headway.runners import fork_server
from headway.scheduler.control import StoreTriggerSwitch
from headway.settings import Settings
from headway.state import State
from headway.storage import Storage, open_storage
from headway.store.base import Batch, Store
from headway.store.notifications import CANCEL, INBOX, QUEUE, WorkNotifications

LogListener = Callable[[LogEntry], None]
CommitListener = Callable[[Batch], None]
EXECUTOR = "executor"
WORKER = "worker"


class Engine:
    def __init__(
        self,
        store: Store,
        settings: Settings,
        *,
        registry: Registry | None = None,
        flows: FlowRepository | None = None,
        storage: Storage | None = None,
        components: frozenset[str] = frozenset({EXECUTOR, WORKER}),
    ) -> None:
        self.store = store
        self.settings = settings
        # What this process runs: the executor's loop, a worker, or both. The executor object
        # exists in every case: it creates executions and records requests (the API).
        self.components = components
        # Internal storage (kestra:/// files). Deleting an execution does not delete its
        # files yet.
        self.storage = storage or open_storage(settings)
        self.registry = registry or default_registry()
        self.flows = flows or FlowRepository(store, self.registry, tenant=settings.tenant)
        self.env = EngineEnv(
            envs=dict(settings.envs),
            secrets=dict(settings.secrets),
            masker=Masker(settings.secrets.values()),
        )
        self.env.triggers = StoreTriggerSwitch(store, self.flows)
        lease = timedelta(seconds=settings.lease_seconds)
        self.executor = Executor(store, self.flows, self.env, storage=self.storage, lease=lease)
        local = {EXECUTOR, WORKER} <= components
        # A worker without a local executor keeps the executions it read (a few per slot).
        self._stored_views = StoredViews(store, self.flows, size=max(64, 4 * settings.worker_slots))
        self.worker = Worker(
            store,
            self._local_views if local else self._stored_views.load,
            self.env,
            slots=settings.worker_slots,
            lease=lease,
            group=settings.worker_group or None,
            storage=self.storage,
        )
        fork_server.configure(enabled=settings.python_fork_server)
        if local:
            # TaskRuns go to the worker leased in the transaction that creates them, and
            # results come back in memory, committed with their effects.
            self.executor.on_cancel = self.worker.cancel
            self.executor.local_worker = self.worker
            self.worker.report = self.executor.submit
        self.executor.listeners.append(self._on_commit)
        self.worker.listeners.append(self._on_commit)
        self.log_listeners: list[LogListener] = []
        # Told of every batch this process commits (the API's live follow).
        self.commit_listeners: list[CommitListener] = []
        self._watch: dict[str, list[_Watch]] = {}
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._unsubscribe: list[Callable[[], None]] = []

    def _on_commit(self, batch: Batch) -> None:
        if batch.events:
            self.executor.inbox_changed()
        unleased = [item.ready_at for item in batch.enqueue if item.worker_id is None]
        if unleased:
            self.worker.notify(min(unleased))
        for entry in batch.logs:
            for listener in self.log_listeners:
                listener(entry)
        for commit_listener in self.commit_listeners:
            commit_listener(batch)
        for execution in batch.executions:
            is_settled = settled(execution)
            for watch in self._watch.get(execution.id, ()):
                watch.settled = is_settled
                if is_settled:
                    watch.event.set()
        if batch.ack_events:
            # Acknowledged events may be the last ones a draining waiter waits for, such as a
            # late result for an execution that already ended: let those look again.
            for watches in self._watch.values():
                for watch in watches:
                    if watch.draining:
                        watch.event.set()

    async def _local_views(self, execution_ids: list[str]) -> dict[str, ExecutionView]:
        """The executor's copies (the worker of its process runs what it hands over)."""
        views = {i: await self.executor.view(i) for i in dict.fromkeys(execution_ids)}
        return {i: view for i, view in views.items() if view is not None}

    async def start(self) -> None:
        self.env.bridge = StoreBridge(self.store, asyncio.get_running_loop(), self.storage)
        await reap_dead_local_leases(self.store)
        if isinstance(self.store, WorkNotifications):
            # Other processes' commits (PostgreSQL's LISTEN/NOTIFY) wake the worker and the
            # executor at once instead of at their next poll, and tell workers of kills.
            if WORKER in self.components:
                self._unsubscribe += [
                    self.store.on_work(QUEUE, lambda n: self.worker.notify(n.ready_at)),
                    self.store.on_work(CANCEL, lambda n: self.worker.cancel(n.task_run_ids)),
                ]
            if EXECUTOR in self.components:
                self._unsubscribe.append(
                    self.store.on_work(INBOX, lambda n: self.executor.inbox_changed())
                )
        if EXECUTOR in self.components:
            await self.executor.recover()
            self._tasks.append(asyncio.create_task(self.executor.run(self._stop)))
        if WORKER in self.components:
            self._tasks.append(asyncio.create_task(self.worker.run(self._stop)))

    async def stop(self) -> None:
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        self._stop.set()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def wait(self, execution_id: str) -> Execution:
        """Wait until the execution is terminal or paused; return it as stored.

        The store is read at the start, when a commit of this process says the execution
        settled, when events it waited for were acknowledged, and once a second (commits of
        other processes) -- not at every step, which would cost the size of the execution
        each. Once the execution looks settled, its pending events (a resume, a kill, a late
        result) are drained first, and the execution read after them reflects them.
        """
        watch = _Watch(asyncio.Event())
        self._watch.setdefault(execution_id, []).append(watch)
        try:
            check = False  # the execution looks settled: its pending events, then a read
            read = True  # read the execution to learn whether it looks settled
            while True:
                if check:
                    watch.draining = await self._pending(execution_id)
                    if not watch.draining:
                        execution = await self._get(execution_id)
                        if settled(execution):
                            return execution
                        check = False  # resumed meanwhile
                elif read and settled(await self._get(execution_id)):
                    check = True
                    continue
                fired = await self._wait_or_fail(watch.event)
                watch.event.clear()
                seen, watch.settled = watch.settled, None
                if not fired:  # a second passed: look again
                    check, read = False, True
                elif seen is not None:  # a commit of this process
                    check, read = seen, False
                else:  # events were acknowledged: a draining waiter looks again
                    read = False
        finally:
            watches = self._watch[execution_id]
            watches.remove(watch)
            if not watches:
                del self._watch[execution_id]

    async def _get(self, execution_id: str) -> Execution:
        execution = await self.store.get_execution(execution_id)
        if execution is None:
            raise KeyError(execution_id)
        return execution

    async def _pending(self, execution_id: str) -> bool:
        """Whether events of the execution wait for the executor (a resume, a kill)."""
        return bool(await self.store.pending_events(1, execution_id=execution_id))

    async def _wait_or_fail(self, event: asyncio.Event) -> bool:
        """Wait for the event (True) or a second (False); raise what a component died of."""
        waiter = asyncio.ensure_future(event.wait())
        done, _ = await asyncio.wait(
            {waiter, *self._tasks}, timeout=1.0, return_when=asyncio.FIRST_COMPLETED
        )
        waiter.cancel()
        for task in done:
            if task is not waiter and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
        return waiter in done

    async def run_flow(
        self, namespace: str, flow_id: str, inputs: dict[str, Any], **kwargs: Any
    ) -> Execution:
        flow, revision = await self.flows.latest(namespace, flow_id)
        execution = await self.executor.create_execution(flow, revision, inputs, **kwargs)
        return await self.wait(execution.id)

    async def settle_all(self) -> list[Execution]:
        """Run until every execution is terminal or paused (``executions recover``)."""
        ids = await self.store.non_terminal_execution_ids()
        return [await self.wait(execution_id) for execution_id in ids]


@dataclass
class _Watch:
    """A waiter on one execution: woken by a commit that settles it, and while ``draining``
    (it waits for the execution's pending events) by acknowledgements of events;
    ``settled`` is what the last commit of the execution said (None: no commit of it since
    the waiter last looked)."""

    event: asyncio.Event
    settled: bool | None = None
    draining: bool = False


def settled(execution: Execution) -> bool:
    """Terminal, or paused for a person (not by a Pause that resumes by itself)."""
    if execution.current is State.PAUSED:
        return not any(
            tr.current is State.PAUSED and RESUMES_AT in tr.extra for tr in execution.task_runs
        )
    return execution.current.terminal


@contextlib.asynccontextmanager
async def running_engine(store: Store, settings: Settings, **kwargs: Any) -> AsyncIterator[Engine]:
    engine = Engine(store, settings, **kwargs)
    await engine.start()
    try:
        yield engine
    finally:
        await engine.stop()
