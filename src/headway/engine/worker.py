"""The worker: claims ready TaskRuns with a lease, runs their task, reports the result.

A result is reported as an event for the executor, committed with the removal of the queue
row, so a crash before that commit leaves the row to be reaped when its lease ends, and run
again (tasks run at least once). The heartbeat registers the worker, renews its leases while
tasks run, and learns of kills (also told at once through the store's notifications). A
result is committed only while the worker still leases its row (:class:`Fence`): a worker
cut off for longer than its lease finds its TaskRuns ran again elsewhere, and reports none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import socket
import tempfile
import traceback
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from headway.durations import format_duration
from headway.engine.evaluation import EngineEnv
from headway.engine.leases import member_id
from headway.engine.rendering import Renderer
from headway.engine.run_context import StoreKV, TaskRunContext
from headway.engine.view import ExecutionView
from headway.errors import HeadwayError, StoreError, TaskFailure
from headway.execution import TaskRun, iso, utcnow
from headway.flows.tasks import TaskBase
from headway.plugins.base import (
    FlowableTask,
    RunnableTask,
    SharedDirectoryLost,
    TaskResultWarning,
)
from headway.state import State
from headway.storage import Storage, TaskRunFiles
from headway.store.base import (
    Batch,
    Fence,
    Fenced,
    NewEvent,
    QueuedTaskRun,
    Store,
    WorkerInfo,
)

log = logging.getLogger(__name__)

# Executions by id, read at once (those that exist).
ViewSource = Callable[[list[str]], Awaitable[dict[str, ExecutionView]]]
CommitListener = Callable[[Batch], None]

# A TaskRun still running after this long reports its start on its own (seconds).
STARTED_AFTER = 0.05
# A running TaskRun's log lines are committed this often (seconds).
LOGS_EVERY = 0.5

# How often the directories of ended WorkingDirectory groups are looked for (seconds).
SWEEP_EVERY = 600.0

# Keys of every task that are not properties to render before ``run``.
_NOT_RENDERED = frozenset(
    {
        "id",
        "type",
        "description",
        "retry",
        "runIf",
        "workerGroup",
        "disabled",
        "allowFailure",
        "allowWarning",
        "logLevel",
        "logToFile",
        "taskCache",
    }
)


def default_working_dirs() -> Path:
    """Where WorkingDirectory groups keep their directories by default: under the system's
    temporary directory, so they outlive a crash of the process (not a reboot)."""
    return Path(tempfile.gettempdir()) / f"headway-{os.getuid()}-working-dirs"


def _listed(root: Path) -> list[str]:
    return sorted(entry.name for entry in root.iterdir()) if root.is_dir() else []


class Worker:
    def __init__(
        self,
        store: Store,
        views: ViewSource,
        env: EngineEnv,
        *,
        slots: int = 8,
        lease: timedelta = timedelta(seconds=30),
        group: str | None = None,
        storage: Storage,
        working_dirs: Path | None = None,
    ) -> None:
        self.store = store
        # Where the directories shared by the tasks of WorkingDirectory groups live.
        self.working_dirs = working_dirs or default_working_dirs()
        self.storage = storage
        self.views = views
        self.env = env
        self.slots = slots
        self.lease = lease
        self.group = group
        self.id = member_id()
        self.info = WorkerInfo(self.id, group, slots, socket.gethostname(), utcnow())
        self.running: dict[str, asyncio.Task[None]] = {}
        # The attempt each running TaskRun runs.
        self.attempts: dict[str, int] = {}
        # Attempts (TaskRun id, attempt) whose lease this worker lost (reaped): stopped,
        # their result dropped.
        self._lost: set[tuple[str, int]] = set()
        # TaskRuns whose result is being committed.
        self._reporting: set[str] = set()
        # On SIGTERM, how long running TaskRuns may finish before they are handed back.
        self.drain_seconds = 0.0
        self.wakeup = asyncio.Event()
        self.listeners: list[CommitListener] = []
        self._stopping = False
        self._background: set[asyncio.Future[None]] = set()
        # In one process with an executor: results go to it in memory, and it commits them
        # with what they cause, in one transaction (None: commit them here).
        self.report: Callable[[Batch], None] | None = None
        # Results waiting for the commit in flight, and the task committing them.
        self._outbox: list[tuple[Batch, asyncio.Future[None]]] = []
        self._flusher: asyncio.Future[None] | None = None
        # True when the last claim left nothing ready: wait to be notified (or a poll).
        self._drained = False
        # When the earliest queued TaskRun we know of becomes ready (retries wait).
        self._ready_hint: datetime | None = None

    async def run(self, stop: asyncio.Event) -> None:
        await self.beat()  # registered before the first claim
        heartbeat = asyncio.create_task(self._heartbeat(stop))
        await self.sweep_working_dirs()
        try:
            while not stop.is_set():
                # Cleared before claiming, so work enqueued while we claim is not missed.
                self.wakeup.clear()
                free = self.slots - len(self.running)
                if free > 0 and not self._drained:
                    now = utcnow()
                    try:
                        claimed = await self.store.claim(
                            self.id, free, now, now + self.lease, self.group
                        )
                    except StoreError as exc:
                        log.warning("worker: claiming failed: %s; retrying", exc.message)
                        await self._idle(stop)
                        continue
                    views = await self._views_of(claimed)
                    for item in claimed:
                        self._spawn(item, views)
                    if len(claimed) == free:
                        continue  # more may be ready
                    self._drained = True
                await self._idle(stop)
        finally:
            await self._drain()
            # TaskRuns still running are handed back: they run again (a new attempt).
            self._stopping = True
            heartbeat.cancel()
            handed_back = bool(self.running)
            for task in list(self.running.values()):
                task.cancel()
            if self.running:
                await asyncio.gather(*self.running.values(), return_exceptions=True)
            await self._leave(handed_back)

    async def _drain(self) -> None:
        """Let running TaskRuns finish for up to ``drain_seconds`` (claiming nothing more)."""
        if self.drain_seconds <= 0 or not self.running:
            return
        log.info(
            "worker %s: waiting up to %.0fs for %d running TaskRun(s)",
            self.id,
            self.drain_seconds,
            len(self.running),
        )
        await asyncio.wait(list(self.running.values()), timeout=self.drain_seconds)

    async def _leave(self, handed_back: bool) -> None:
        try:
            if handed_back:
                await self.store.reap_leases(utcnow(), [self.id])
            await self.store.remove_worker(self.id)
        except StoreError as exc:
            log.warning("worker %s: leaving failed (its leases will expire): %s", self.id, exc)

    async def sweep_working_dirs(self) -> list[str]:
        """Remove the shared directories of WorkingDirectory groups whose execution has ended
        (a kill ends a group without its teardown); return their execution ids. Directories
        of executions this store does not know are left alone."""
        removed: list[str] = []
        try:
            for name in await asyncio.to_thread(_listed, self.working_dirs):
                execution = await self.store.get_execution(name)
                if execution is not None and execution.current.terminal:
                    await asyncio.to_thread(shutil.rmtree, self.working_dirs / name, True)
                    removed.append(name)
        except (StoreError, OSError) as exc:
            # Only housekeeping: the next sweep tries again.
            log.warning("sweeping %s failed: %s", self.working_dirs, exc)
        return removed

    async def _views_of(self, items: list[QueuedTaskRun]) -> dict[str, ExecutionView] | None:
        """The executions of claimed TaskRuns, in one read (None: each reads its own)."""
        if not items:
            return {}
        try:
            return await self.views([item.execution_id for item in items])
        except StoreError as exc:
            log.warning("worker: reading executions failed: %s", exc.message)
            return None

    def _spawn(self, item: QueuedTaskRun, views: dict[str, ExecutionView] | None = None) -> None:
        """Run a TaskRun; ``views``: its execution read already (by id; None: not read)."""
        trid = item.task_run_id
        stale = self.running.get(trid)
        if stale is not None:
            # An earlier attempt still runs here: its lease ended (it was reaped), and this
            # one replaces it.
            self._lost.add((trid, self.attempts[trid]))
            stale.cancel()
        task = asyncio.create_task(self._execute(item, views))
        self.running[trid] = task
        self.attempts[trid] = item.attempt

        def done(_: asyncio.Task[None]) -> None:
            if self.running.get(trid) is task:
                del self.running[trid]
                del self.attempts[trid]
            self._done()

        task.add_done_callback(done)

    def notify(self, ready_at: datetime | None = None) -> None:
        """TaskRuns were enqueued (ready at ``ready_at``, or now): claim again."""
        self._drained = False
        later = ready_at if ready_at is not None and ready_at > utcnow() else None
        if later is not None and (self._ready_hint is None or later < self._ready_hint):
            self._ready_hint = later
        self.wakeup.set()

    def _done(self) -> None:
        if not self._drained:
            self.wakeup.set()  # a slot is free and work is left

    async def _idle(self, stop: asyncio.Event) -> None:
        """Sleep until woken, until the earliest known queued TaskRun is ready, or a second
        (work enqueued by other processes)."""
        timeout = 1.0
        if self._ready_hint is not None:
            timeout = max(0.0, min(timeout, (self._ready_hint - utcnow()).total_seconds()))
        waiter = asyncio.ensure_future(self.wakeup.wait())
        stopper = asyncio.ensure_future(stop.wait())
        await asyncio.wait({waiter, stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        woken = waiter.done()
        waiter.cancel()
        stopper.cancel()
        if not woken and not stop.is_set():
            # A hint fell due, or a poll: claim, and learn when the next row is ready.
            self._drained = False
            try:
                self._ready_hint = await self.store.next_ready_at()
            except StoreError as exc:
                log.warning("worker: %s", exc.message)

    async def _heartbeat(self, stop: asyncio.Event) -> None:
        interval = self.lease.total_seconds() / 3
        loop = asyncio.get_running_loop()
        next_sweep = loop.time() + SWEEP_EVERY
        while not stop.is_set():
            await asyncio.sleep(interval)
            try:
                await self.beat()
            except StoreError as exc:
                log.warning("worker %s: heartbeat failed: %s", self.id, exc.message)
            if loop.time() >= next_sweep:
                next_sweep = loop.time() + SWEEP_EVERY
                await self.sweep_working_dirs()

    async def beat(self) -> None:
        """Note this worker alive, renew its leases; stop what a kill asked to stop and
        what it no longer leases."""
        running = {t: a for t, a in self.attempts.items() if t not in self._reporting}
        now = utcnow()
        renewal = await self.store.heartbeat(self.info, list(running), now, now + self.lease)
        lost = [
            trid
            for trid, attempt in running.items()
            if trid not in renewal.held
            and self.attempts.get(trid) == attempt
            and trid not in self._reporting
        ]
        if lost:
            log.warning("worker %s: lease lost on %s: stopping them", self.id, ", ".join(lost))
            self._lost.update((trid, running[trid]) for trid in lost)
        self.cancel([*lost, *renewal.cancelled])

    def cancel(self, task_run_ids: list[str] | tuple[str, ...]) -> None:
        """Stop running TaskRuns (a kill); they report KILLED."""
        for trid in task_run_ids:
            task = self.running.get(trid)
            if task is not None:
                task.cancel()

    async def _execute(self, item: QueuedTaskRun, views: dict[str, ExecutionView] | None) -> None:
        if views is None:
            views = await self.views([item.execution_id])
        view = views.get(item.execution_id)
        if view is None:
            await self.store.commit(Batch(dequeue=[item.task_run_id]))
            return
        tr = view.get(item.task_run_id)
        task = view.task(tr.task_id)
        started = utcnow()
        renderer = self.env.renderer(view, tr, attempt=item.attempt)
        ctx = TaskRunContext(
            task_run=tr,
            namespace=view.execution.namespace,
            flow_id=view.execution.flow_id,
            tenant=view.execution.tenant,
            attempt=item.attempt,
            renderer=renderer,
            kv=StoreKV(self.store, view.execution.tenant),
            triggers=self.env.triggers,
            storage=TaskRunFiles(
                self.storage,
                view.execution.tenant,
                view.execution.namespace,
                flow_id=view.execution.flow_id,
                execution_id=view.execution.id,
                task_id=tr.task_id,
                task_run_id=tr.id,
            ),
            masker=self.env.masker_for(view.execution),
            min_level=task.log_level or "TRACE",
            shared_directory=self._shared_directory(view, tr),
        )
        start = {"date": iso(started), "workerId": self.id}
        started_event = NewEvent(
            tr.execution_id, "started", {"taskRunId": tr.id, "attempt": item.attempt, **start}
        )
        # A quick task reports its start in its result event (one commit, one event); one
        # still running after STARTED_AFTER reports it on its own, so it shows RUNNING while
        # it runs. The result carries the start again unless that commit is known to be in: a
        # start lost (the store unreachable) or committed after the result would leave the
        # result unmatched (ignored) and the TaskRun stuck; the executor ignores a start it
        # has.
        started_committed = False

        async def commit_started(batch: Batch) -> None:
            nonlocal started_committed
            try:
                await self._commit(batch)
            except StoreError as exc:
                log.warning("worker %s: reporting a start failed: %s", self.id, exc.message)
                ctx.logs[:0] = batch.logs  # they go with the result
                return
            started_committed = True

        def report_started() -> None:
            batch = Batch(events=[started_event], logs=ctx.take_logs())
            self._in_background(commit_started(batch))

        timer = asyncio.get_running_loop().call_later(STARTED_AFTER, report_started)
        streaming = asyncio.Event()  # set: stop streaming
        streamer = asyncio.ensure_future(self._stream_logs(ctx, streaming))
        state, outputs, retryable = State.SUCCESS, None, True
        try:
            outputs = await self._run(task, ctx, renderer)
        except TaskResultWarning as warning:
            state, outputs = State.WARNING, warning.outputs
            ctx.log("WARN", str(warning))
        except asyncio.CancelledError:
            if self._stopping:
                raise
            state = State.KILLED
            ctx.log("WARN", "killed")
        except TimeoutError:
            state = State.FAILED
            limit = task.timeout
            shown = format_duration(limit) if isinstance(limit, timedelta) else str(limit)
            ctx.log("ERROR", f"timed out after {shown}")
        except SharedDirectoryLost as lost:
            state, retryable = State.FAILED, False
            outputs = {SharedDirectoryLost.OUTPUT: True}
            ctx.log("ERROR", lost.message)
        except TaskFailure as failure:
            state, retryable = State.FAILED, failure.retryable
            ctx.log("ERROR", failure.message)
        except HeadwayError as exc:
            state = State.FAILED
            ctx.log("ERROR", exc.message)
        except Exception as exc:  # noqa: BLE001 - the boundary around plugin code
            state = State.FAILED
            ctx.log("ERROR", f"{type(exc).__name__}: {exc}")
            ctx.log("DEBUG", traceback.format_exc())
        finally:
            timer.cancel()
            # Not cancelled: lines it took are committed (or given back), never dropped.
            streaming.set()
            await asyncio.shield(streamer)
        payload: dict[str, Any] = {
            "taskRunId": tr.id,
            "attempt": item.attempt,
            "state": state.value,
            "outputs": outputs,
            "retryable": retryable,
            "date": iso(utcnow()),
        }
        if ctx.labels:
            payload["labels"] = ctx.labels
        if ctx.metrics:
            payload["metrics"] = ctx.metrics
        if not started_committed:
            payload["started"] = start
        batch = Batch(
            events=[NewEvent(tr.execution_id, "result", payload)],
            dequeue=[tr.id],
            logs=ctx.take_logs(),
            fence=Fence(leases=[(tr.id, self.id)]),
        )
        if (tr.id, item.attempt) in self._lost:
            self._lost.discard((tr.id, item.attempt))
            log.info("worker %s: result of %s dropped (its lease was lost)", self.id, tr.id)
            return
        # Being reported: a heartbeat meanwhile must not take its row, gone with the
        # result, for a lost lease.
        self._reporting.add(tr.id)
        try:
            await asyncio.shield(self._report(batch))
        finally:
            self._reporting.discard(tr.id)

    async def _report(self, batch: Batch) -> None:
        """Commit a result, with the others ready meanwhile (a group commit: one
        transaction while the previous one is in flight), trying again while the store is
        unreachable, until it is in or refused because its lease ended (the TaskRun was
        reaped: it runs again)."""
        if self.report is not None:
            self.report(batch)
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._outbox.append((batch, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.ensure_future(self._flush())
        await future

    async def _flush(self) -> None:
        while self._outbox:
            group, self._outbox = self._outbox, []
            try:
                await self._commit_results([batch for batch, _ in group])
            except asyncio.CancelledError:
                for _, future in group:
                    future.cancel()
                raise
            except Exception as exc:  # noqa: BLE001 - raised to each result's reporter
                for _, future in group:
                    future.set_exception(exc)
            else:
                for _, future in group:
                    future.set_result(None)

    async def _commit_results(self, batches: list[Batch]) -> None:
        delay = 0.1
        while True:
            try:
                await self._commit(Batch.combine(batches))
                return
            except Fenced as exc:
                if len(batches) == 1:
                    log.info("worker %s: result dropped: %s", self.id, exc.message)
                    return
                # One of them lost its lease: the others go in alone.
                for batch in batches:
                    await self._commit_results([batch])
                return
            except StoreError as exc:
                if self._stopping:
                    raise
                log.warning("worker %s: reporting a result failed: %s", self.id, exc.message)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 2.0)

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _stream_logs(self, ctx: TaskRunContext, stop: asyncio.Event) -> None:
        """While a task runs (until ``stop``), commit its log lines every LOGS_EVERY seconds,
        so they can be followed live (the rest are committed with its result; so are lines
        whose commit failed)."""
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), LOGS_EVERY)
            if stop.is_set():
                return
            logs = ctx.take_logs()
            if logs:
                try:
                    await self._commit(Batch(logs=logs))
                except StoreError as exc:
                    log.warning("worker %s: streaming logs failed: %s", self.id, exc.message)
                    ctx.logs[:0] = logs

    async def _commit(self, batch: Batch) -> None:
        if self.report is not None and batch.events:
            self.report(batch)
            return
        await self.store.commit(batch)
        for listener in self.listeners:
            listener(batch)

    def capacity(self) -> int:
        """How many more TaskRuns this worker can take now."""
        return max(self.slots - len(self.running), 0)

    def accept(self, items: list[QueuedTaskRun]) -> None:
        """Run TaskRuns already leased to this worker (handed over by a local executor)."""
        for item in items:
            if item.task_run_id not in self.running:
                self._spawn(item)

    def _shared_directory(self, view: ExecutionView, tr: TaskRun) -> Path | None:
        """The directory a child of a WorkingDirectory group shares with its siblings (one
        per group TaskRun and round: ``iteration``), or None."""
        if tr.parent_task_run_id is None:
            return None
        parent = view.get(tr.parent_task_run_id)
        group = view.task(parent.task_id)
        if not isinstance(group, FlowableTask) or not group.shares_directory_with(tr.task_id):
            return None
        return self.working_dirs / tr.execution_id / f"{parent.id}-{tr.iteration or 0}"

    async def _run(
        self, task: TaskBase, ctx: TaskRunContext, renderer: Renderer
    ) -> dict[str, Any] | None:
        if not isinstance(task, RunnableTask):
            raise TaskFailure(f"task type '{task.type}' cannot run on a worker", retryable=False)
        shared = ctx.shared_directory
        lost = (
            shared is not None
            and not task.manages_shared_directory
            and not await asyncio.to_thread(shared.is_dir)
        )
        if lost:
            raise SharedDirectoryLost(
                f"the working directory shared by this WorkingDirectory group ({shared}) is "
                "gone: the worker that held it stopped, or this task runs on another host"
            )
        raw = task.model_dump(by_alias=True, exclude_unset=True, mode="json")
        keep = {k: raw.pop(k) for k in list(raw) if k in _NOT_RENDERED or k in task.unrendered}
        rendered = await renderer.render_async(raw)
        try:
            typed = type(task).model_validate({**keep, **rendered})
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
            )
            raise TaskFailure(
                f"invalid properties after rendering: {problems}", retryable=False
            ) from None
        assert isinstance(typed, RunnableTask)
        timeout = typed.timeout.total_seconds() if isinstance(typed.timeout, timedelta) else None
        return await asyncio.wait_for(typed.run(ctx), timeout)
