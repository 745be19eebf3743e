"""The executor: owns the state machine of executions.

It reads its inbox (events) and due timers from the store, evaluates each concerned
execution (:class:`headway.engine.evaluation.Evaluation`) and commits the result in one
transaction with the acknowledgement of the events that caused it. Executions are kept in
memory between evaluations; the store remains the truth (a failed commit drops the cached
copy, and recovery reloads everything).

Several executors may share a store: each advances only the executions it owns. Reading the
inbox takes the executions with work that no live executor owns; ownership is renewed by
heartbeat and fenced at every commit (a commit for an execution another executor took
writes nothing, see :class:`headway.store.base.Fence`). The executors also reap the leases
of lost workers, which become ``lost`` events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from headway.engine import rerun
from headway.engine.evaluation import ACTIVE, LOCAL_SEQ, EngineEnv, Evaluation
from headway.engine.flows import FlowRepository
from headway.engine.leases import member_id
from headway.engine.view import ExecutionView, load_view
from headway.errors import HeadwayError, InputInvalidError, NotFoundError, StoreError
from headway.execution import Execution, StateRecord, TaskRun, new_id, utcnow
from headway.flows.inputs import resolve_inputs, serialize_inputs
from headway.flows.model import Flow
from headway.plugins.base import SubflowRequest
from headway.state import State
from headway.storage import FileUpload, Storage, StorageError, execution_prefix, input_file_uri
from headway.store.base import (
    Batch,
    Event,
    Fence,
    Fenced,
    NewEvent,
    Ownership,
    QueuedTaskRun,
    Store,
)

log = logging.getLogger(__name__)

CommitListener = Callable[[Batch], None]

# Evaluations committed together at most, in one transaction.
GROUP_COMMIT = 64
# A worker silent for this many leases (and leasing nothing) is forgotten: it is listed as
# silent until then, so that its end can be seen.
FORGET_WORKERS_AFTER_LEASES = 10


class LocalWorker(Protocol):
    """The worker of the same process, as the executor sees it."""

    id: str
    group: str | None
    lease: timedelta

    def capacity(self) -> int: ...

    def accept(self, items: list[QueuedTaskRun]) -> None: ...


class Executor:
    def __init__(
        self,
        store: Store,
        flows: FlowRepository,
        env: EngineEnv,
        *,
        storage: Storage | None = None,
        lease: timedelta = timedelta(seconds=30),
    ) -> None:
        self.store = store
        self.id = member_id()
        # How long an ownership of executions lasts without renewal.
        self.lease = lease
        # The executions this executor owns, and the token of each (see Inbox.owned).
        self.owned: dict[str, str] = {}
        # Executions to take at the next read of the inbox (recovery).
        self._also: set[str] = set()
        # Where FILE inputs given as local files or uploads are stored.
        self.storage = storage
        self.flows = flows
        self.env = env
        self.views: dict[str, ExecutionView] = {}
        self.listeners: list[CommitListener] = []
        # Called with each execution that ends, before its end is committed (the scheduler
        # records it, to evaluate Flow triggers durably).
        self.end_hooks: list[Callable[[Execution], Awaitable[None]]] = []
        # Called with the ids of running TaskRuns to stop (kill).
        self.on_cancel: Callable[[list[str]], None] = lambda ids: None
        self.wakeup = asyncio.Event()
        # The earliest timer this executor committed since it last read its inbox.
        self._timer_hint: datetime | None = None
        # In one process with a worker: the worker's results, handed over in memory and
        # committed with their effects (see ``submit``), and the worker to hand TaskRuns to.
        self._submitted: list[Batch] = []
        self._inbox_dirty = True
        self.local_worker: LocalWorker | None = None

    # --- creating executions ----------------------------------------------------------------
    async def create_execution(
        self,
        flow: Flow,
        revision: int,
        inputs: dict[str, Any],
        *,
        labels: dict[str, str] | None = None,
        trigger: dict[str, Any] | None = None,
        parent: tuple[str, str] | None = None,
        parent_waits: bool = True,
        tenant: str = "main",
        schedule_date: datetime | None = None,
    ) -> Execution:
        """Validate inputs and store a new CREATED execution; the executor picks it up.

        A FILE input given as a local file (a :class:`~pathlib.Path`) or a
        :class:`~headway.storage.FileUpload` is stored in internal storage first, under the
        execution's ``inputs/{id}/`` prefix; its value becomes the ``kestra:///`` URI."""
        execution_id = new_id()
        stored, inputs = await self._store_input_files(flow, inputs, tenant, execution_id)
        try:
            batch, execution = self.new_execution(
                flow,
                revision,
                inputs,
                labels=labels,
                trigger=trigger,
                parent=parent,
                parent_waits=parent_waits,
                tenant=tenant,
                execution_id=execution_id,
                schedule_date=schedule_date,
            )
            await self._commit(batch)
        except BaseException:
            if stored and self.storage is not None:
                prefix = execution_prefix(flow.namespace, flow.id, execution_id)
                await self.storage.delete_prefix(tenant, prefix + "inputs/")
            raise
        return execution

    async def _store_input_files(
        self, flow: Flow, inputs: dict[str, Any], tenant: str, execution_id: str
    ) -> tuple[bool, dict[str, Any]]:
        """Store FILE inputs given as local files or uploads; return whether any was stored,
        and the inputs with their URIs."""
        out = dict(inputs)
        stored = False
        for inp in flow.inputs:
            value = inputs.get(inp.id)
            if inp.type != "FILE" or not isinstance(value, (Path, FileUpload)):
                continue
            if self.storage is None:
                raise InputInvalidError(inp.id, "files cannot be stored here (no storage)")
            name = value.name
            source = value.data if isinstance(value, FileUpload) else value
            if isinstance(source, Path) and not source.is_file():
                raise InputInvalidError(inp.id, f"no such file: {source}")
            try:
                uri = input_file_uri(flow.namespace, flow.id, execution_id, inp.id, name)
                await self.storage.put(tenant, uri, source)
            except StorageError as exc:
                raise InputInvalidError(inp.id, exc.message) from None
            stored = True
            out[inp.id] = uri
        return stored, out

    def new_execution(
        self,
        flow: Flow,
        revision: int,
        inputs: dict[str, Any],
        *,
        labels: dict[str, str] | None = None,
        trigger: dict[str, Any] | None = None,
        parent: tuple[str, str] | None = None,
        parent_waits: bool = True,
        tenant: str = "main",
        execution_id: str | None = None,
        schedule_date: datetime | None = None,
    ) -> tuple[Batch, Execution]:
        if flow.disabled:
            raise HeadwayError(f"flow '{flow.uid}' is disabled")
        resolved = resolve_inputs(flow.inputs, inputs)
        all_labels = {**flow.labels, **(labels or {})}
        now = utcnow()
        execution = Execution(
            id=execution_id or new_id(),
            tenant=tenant,
            namespace=flow.namespace,
            flow_id=flow.id,
            flow_revision=revision,
            state=StateRecord.start(State.CREATED, now),
            inputs=serialize_inputs(resolved),
            labels=[{"key": k, "value": str(v)} for k, v in all_labels.items()],
            trigger=trigger,
            schedule_date=schedule_date,
        )
        secret_inputs = [inp.id for inp in flow.inputs if inp.type == "SECRET"]
        if secret_inputs:
            execution.extra["secretInputs"] = secret_inputs
        if parent is not None:
            execution.parent_id = parent[0]
            execution.extra["parentTaskRunId"] = parent[1]
            execution.extra["parentWaits"] = parent_waits
        batch = Batch(executions=[execution], events=[NewEvent(execution.id, "created")])
        return batch, execution

    # --- the loop ---------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        maintenance = asyncio.create_task(self._maintain(stop))
        try:
            await self._loop(stop)
        finally:
            maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await maintenance
            with contextlib.suppress(StoreError):
                await self.store.release_ownership(self.id)
            self.owned.clear()
            self.views.clear()

    async def _loop(self, stop: asyncio.Event) -> None:
        failures = 0
        while not stop.is_set():
            # Cleared before reading the inbox, so a commit made while we read is not lost.
            self.wakeup.clear()
            self._timer_hint = None
            try:
                worked, next_timer = await self.process_once()
                failures = 0
            except StoreError as exc:
                # The store is unreachable (a database restart, say): what was not committed
                # is read again from the store when it is back.
                failures += 1
                log.warning("executor: %s; retrying", exc.message)
                self.views.clear()
                self._inbox_dirty = True
                await _sleep_or_stop(stop, min(0.2 * failures, 2.0))
                continue
            if worked and self.wakeup.is_set():
                continue
            # Idle until a commit of this process wakes us, a timer falls due (one we just
            # set included), or a second passes (commits of other processes).
            timeout = 1.0
            for due in (next_timer, self._timer_hint):
                if due is not None:
                    timeout = max(0.0, min(timeout, (due - utcnow()).total_seconds()))
            waiter = asyncio.ensure_future(self.wakeup.wait())
            stopper = asyncio.ensure_future(stop.wait())
            await asyncio.wait(
                {waiter, stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if not waiter.done():
                self._inbox_dirty = True  # a poll, or a timer fell due
            waiter.cancel()
            stopper.cancel()

    async def _maintain(self, stop: asyncio.Event) -> None:
        """Renew this executor's ownerships and forget long-silent workers (every third of
        the lease), and reap the leases of lost workers (every second)."""
        loop = asyncio.get_running_loop()
        next_renewal = loop.time() + self.lease.total_seconds() / 3
        while not stop.is_set():
            await _sleep_or_stop(stop, 1.0)
            try:
                if await self.store.reap_leases(utcnow()):
                    self.inbox_changed()
                if loop.time() >= next_renewal:
                    next_renewal = loop.time() + self.lease.total_seconds() / 3
                    still = await self.store.renew_ownership(self.id, utcnow() + self.lease)
                    for execution_id in [e for e in self.owned if e not in still]:
                        self._forget(execution_id)
                    await self.forget_silent_workers()
                    await self.refresh_worker_groups()
            except StoreError as exc:
                log.warning("executor maintenance: %s; retrying", exc.message)

    async def forget_silent_workers(self) -> list[str]:
        """Forget the registrations of workers silent for FORGET_WORKERS_AFTER_LEASES leases
        (killed ones: a stopped worker removes its own); a live worker that was only slow
        registers again at its next heartbeat."""
        silent_since = utcnow() - self.lease * FORGET_WORKERS_AFTER_LEASES
        forgotten = await self.store.prune_workers(silent_since)
        if forgotten:
            log.info("forgot workers silent since %s: %s", silent_since, ", ".join(forgotten))
        return forgotten

    async def refresh_worker_groups(self) -> None:
        """Learn which worker groups have a live worker (a heartbeat within a lease)."""
        now, lease = utcnow(), self.lease.total_seconds()
        self.env.worker_groups = frozenset(
            w.group for w in await self.store.workers() if w.group and w.alive(now, lease)
        )

    def _forget(self, execution_id: str) -> None:
        self.owned.pop(execution_id, None)
        self.views.pop(execution_id, None)

    async def recover(self) -> list[str]:
        """Evaluate every non-terminal execution no other executor owns, once (what a
        restarted engine does)."""
        await self.refresh_worker_groups()
        ids = await self.store.non_terminal_execution_ids()
        self._also.update(ids)
        self._inbox_dirty = True
        await self.process_once()
        return ids

    def submit(self, batch: Batch) -> None:
        """A local worker's result: its events are applied in memory, and its logs and queue
        removals committed with the evaluation they cause (one transaction, not two)."""
        self._submitted.append(batch)
        self.wakeup.set()

    def inbox_changed(self) -> None:
        """Events were committed to the store (by this process): read the inbox again."""
        self._inbox_dirty = True
        self.wakeup.set()

    async def process_once(self) -> tuple[bool, datetime | None]:
        """Handle submitted results, pending events and due timers; return whether there was
        anything, and when the next timer falls due. The store's inbox is read when this
        process committed events, at every idle poll (events of other processes), and when
        a result concerns an execution this executor does not own yet."""
        by_execution: dict[str, list[Event]] = {}
        next_timer: datetime | None = None
        submitted, self._submitted = self._submitted, []
        local: dict[str, list[Batch]] = {}
        for batch in submitted:  # a worker's result concerns one execution
            local.setdefault(batch.events[0].execution_id, []).append(batch)
        unknown = {execution_id for execution_id in local if execution_id not in self.owned}
        if self._inbox_dirty or unknown or self._also:
            self._inbox_dirty = False
            now = utcnow()
            also = tuple(sorted(unknown | self._also))
            try:
                inbox = await self.store.inbox(
                    now, ownership=Ownership(self.id, now + self.lease, also)
                )
            except StoreError:
                self._submitted[:0] = submitted
                raise
            self._also.clear()
            for execution_id, token in inbox.owned.items():
                if self.owned.get(execution_id) != token:
                    self.views.pop(execution_id, None)
                self.owned[execution_id] = token
            for event in inbox.events:
                by_execution.setdefault(event.execution_id, []).append(event)
            for timer in inbox.timers:
                by_execution.setdefault(timer.execution_id, [])
            for execution_id in also:
                if execution_id in inbox.owned and execution_id not in local:
                    by_execution.setdefault(execution_id, [])
            next_timer = inbox.next_timer_at
        # Results and evaluations committed (a store failure hands the rest over again).
        done: set[str] = set()
        try:
            for execution_id, batches in local.items():
                if execution_id not in self.owned:
                    # Another executor owns it: the results go to it through the store.
                    for batch in batches:
                        await self._hand_over(batch)
                    done.add(execution_id)
                    continue
                evs = by_execution.setdefault(execution_id, [])
                for batch in batches:
                    for new in batch.events:
                        evs.append(Event(LOCAL_SEQ, new.execution_id, new.kind, new.payload))
            await self._evaluate_all(by_execution, local, done)
        except StoreError:
            # Results not committed are handed over again once the store is back.
            for execution_id, batches in local.items():
                if execution_id not in done:
                    self._submitted.extend(batches)
            raise
        return bool(by_execution), next_timer

    async def _evaluate_all(
        self, by_execution: dict[str, list[Event]], local: dict[str, list[Batch]], done: set[str]
    ) -> None:
        """Evaluate each execution; commit the evaluations in groups of up to GROUP_COMMIT,
        one transaction each (an execution whose flow limits concurrency, about to start,
        commits alone: it counts the running executions of its flow in the store)."""
        group: list[_Evaluated] = []
        for execution_id, evs in by_execution.items():
            results = local.get(execution_id, [])
            try:
                view = await self.view(execution_id)
                alone = view is not None and _counts_running(view)
                if not alone:
                    group.append(await self._prepare(execution_id, evs, results))
            except StoreError:
                raise
            except Exception as exc:  # noqa: BLE001 - one broken execution must not stop the rest
                await self._fail(execution_id, evs, _carried(results), exc)
                done.add(execution_id)
                continue
            if alone or len(group) >= GROUP_COMMIT:
                await self._commit_group(group, done)
                group = []
            if alone:
                await self._evaluate_alone(execution_id, evs, results, done)
        await self._commit_group(group, done)

    async def _commit_group(self, group: list[_Evaluated], done: set[str]) -> None:
        """Commit prepared evaluations in one transaction. When it is refused (another
        executor took one of the executions, or one cannot be written), each is evaluated
        again from the store and committed alone."""
        if not group:
            return
        try:
            await self._commit(Batch.combine([e.batch for e in group]))
        except Fenced:
            pass
        except StoreError:
            for e in group:
                self.views.pop(e.execution_id, None)
            raise
        except Exception:  # noqa: BLE001 - found again by the evaluation alone
            log.debug("a group commit failed; committing its evaluations one by one")
        else:
            for e in group:
                self._settle(e)
                done.add(e.execution_id)
            return
        for e in group:
            self.views.pop(e.execution_id, None)
        for e in group:
            await self._evaluate_alone(e.execution_id, e.events, e.results, done)

    async def _evaluate_alone(
        self, execution_id: str, events: list[Event], results: list[Batch], done: set[str]
    ) -> None:
        """Evaluate and commit one execution. When another executor took it, the local
        worker's results go to that executor; when its evaluation fails, it is failed."""
        try:
            await self.evaluate(execution_id, events, results)
        except Fenced:
            self._forget(execution_id)
            for batch in results:
                await self._hand_over(batch)
        except StoreError:
            raise
        except Exception as exc:  # noqa: BLE001 - one broken execution must not stop the rest
            await self._fail(execution_id, events, _carried(results), exc)
        done.add(execution_id)

    async def _hand_over(self, batch: Batch) -> None:
        """Commit a local worker's result for the executor that owns its execution; one
        whose lease ended was reaped as lost (it runs again) and is dropped."""
        try:
            await self._commit(batch)
        except Fenced as exc:
            log.info("dropped a result: %s", exc.message)

    async def _fail(
        self, execution_id: str, events: list[Event], carried: Batch | None, error: Exception
    ) -> None:
        """End an execution whose evaluation raised (a bug, here or in a plugin): its events
        applied (a finished task keeps its result), then its open TaskRuns and itself
        FAILED, with the error in its logs."""
        self.views.pop(execution_id, None)
        view = await self.view(execution_id)
        if view is None or view.execution.current.terminal:
            acks = [e.seq for e in events if e.seq != LOCAL_SEQ]
            await self._commit(Batch(ack_events=acks, fence=self._fence(execution_id, True)))
            self._forget(execution_id)
            return
        ev = Evaluation(view, self.env, utcnow())
        try:
            for event in events:
                ev.apply(event)
        except Exception as exc:  # noqa: BLE001 - the same bug again: fail it as stored
            # An event that cannot be applied either (the bug is in its handler): the
            # execution is failed as stored, its events acknowledged without being applied.
            log.warning("execution %s: an event cannot be applied: %r", execution_id, exc)
            self.views.pop(execution_id, None)
            view = await self.view(execution_id)
            assert view is not None
            ev = Evaluation(view, self.env, utcnow())
            ev.batch.ack_events.extend(e.seq for e in events if e.seq != LOCAL_SEQ)
        if carried is not None:
            ev.batch.logs.extend(carried.logs)
            ev.batch.dequeue.extend(carried.dequeue)
        ev.fail(f"internal error: {type(error).__name__}: {error}")
        ev.log("DEBUG", "".join(traceback.format_exception(error)))
        batch = ev.finish()
        # Flow triggers and a queued execution of the same flow react to this end too.
        await self._after_end(view, batch)
        self._forget(execution_id)
        batch.cancel.extend(ev.cancel)
        batch.fence = self._fence(execution_id, True, carried)
        await self._commit(batch)
        if ev.cancel:
            self.on_cancel(ev.cancel)

    async def view(self, execution_id: str) -> ExecutionView | None:
        """The execution as cached (kept only while this executor owns it), or as stored."""
        view = self.views.get(execution_id)
        if view is not None:
            return view
        view = await load_view(self.store, self.flows, execution_id)
        if view is not None and execution_id in self.owned and not view.execution.current.terminal:
            self.views[execution_id] = view
        return view

    def _fence(self, execution_id: str, ended: bool, carried: Batch | None = None) -> Fence:
        """This executor must still own the execution (and the local worker still lease the
        rows whose results it carries); an ended execution is given up."""
        return Fence(
            self.id,
            [execution_id],
            leases=list(carried.fence.leases) if carried and carried.fence else [],
            release=[execution_id] if ended else [],
        )

    async def evaluate(
        self, execution_id: str, events: list[Event], results: list[Batch] | None = None
    ) -> None:
        """Apply events to an execution, advance it, commit everything in one transaction
        (with the local worker's ``results``: their logs and queue removals; their events
        are among ``events``)."""
        evaluated = await self._prepare(execution_id, events, results or [])
        try:
            await self._commit(evaluated.batch)
        except Exception:
            self.views.pop(execution_id, None)
            raise
        self._settle(evaluated)

    async def _prepare(
        self, execution_id: str, events: list[Event], results: list[Batch]
    ) -> _Evaluated:
        """Apply events to an execution and advance it, up to the commit: the batch to
        commit and what to do once it is in (see ``evaluate``)."""
        carried = _carried(results)
        view = await self.view(execution_id)
        if view is None:
            # Events of a deleted execution: acknowledge them.
            acks = [e.seq for e in events if e.seq != LOCAL_SEQ]
            batch = Batch(
                ack_events=acks,
                dequeue=carried.dequeue if carried else [],
                fence=self._fence(execution_id, True),
            )
            return _Evaluated(execution_id, events, results, batch, [], True, [])
        now = utcnow()
        ev = Evaluation(view, self.env, now)
        if carried is not None:
            ev.batch.logs.extend(carried.logs)
            ev.batch.dequeue.extend(carried.dequeue)
        for event in events:
            ev.apply(event)
        slot_free = await self._slot_free(view)
        ev.run(slot_free=slot_free)
        while ev.subflows:
            # Starting a subflow changes its TaskRun (child id, or the error): advance again,
            # or a Subflow that does not wait (or failed to start) would never end.
            started, ev.subflows = ev.subflows, []
            for tr, request in started:
                await self._start_subflow(ev, tr, request)
            ev.run()
        batch = ev.finish()
        if ev.ended:
            await self._after_end(view, batch)
        handed = self._lease_to_local_worker(batch, now)
        ended = view.execution.current.terminal
        batch.cancel.extend(ev.cancel)
        batch.fence = self._fence(execution_id, ended, carried)
        return _Evaluated(execution_id, events, results, batch, handed, ended, ev.cancel)

    def _settle(self, evaluated: _Evaluated) -> None:
        """An evaluation is committed: start what was handed to the local worker, forget an
        ended execution, stop what a kill stopped."""
        if evaluated.handed and self.local_worker is not None:
            self.local_worker.accept(evaluated.handed)
        if evaluated.ended:
            self._forget(evaluated.execution_id)
        if evaluated.cancel:
            self.on_cancel(evaluated.cancel)

    def _lease_to_local_worker(self, batch: Batch, now: datetime) -> list[QueuedTaskRun]:
        """Lease TaskRuns that are ready now to the local worker in the same transaction
        that enqueues them, so it starts them without claiming (a lease still: if this
        process dies, they expire and any worker claims them)."""
        worker = self.local_worker
        if worker is None or not batch.enqueue:
            return []
        room = worker.capacity()
        handed: list[QueuedTaskRun] = []
        for index, item in enumerate(batch.enqueue):
            if room <= 0:
                break
            if item.ready_at > now or item.worker_group != worker.group or item.worker_id:
                continue
            item = replace(item, worker_id=worker.id, lease_until=now + worker.lease)
            batch.enqueue[index] = item
            handed.append(item)
            room -= 1
        return handed

    async def _slot_free(self, view: ExecutionView) -> bool:
        concurrency = view.flow.concurrency
        if concurrency is None or not _counts_running(view):
            return True
        ex = view.execution
        running = await self.store.count_executions(ex.tenant, ex.namespace, ex.flow_id, ACTIVE)
        return running < concurrency.limit

    async def _after_end(self, view: ExecutionView, batch: Batch) -> None:
        """An execution ended: tell the end hooks, let the next queued one of the same flow
        start."""
        ex = view.execution
        for hook in self.end_hooks:
            await hook(ex)
        if view.flow.concurrency is None:
            return
        queued = await self.store.oldest_execution_in_state(
            ex.tenant, ex.namespace, ex.flow_id, State.QUEUED
        )
        if queued is not None:
            batch.events.append(NewEvent(queued, "wake"))

    async def _start_subflow(self, ev: Evaluation, tr: TaskRun, request: SubflowRequest) -> None:
        ex = ev.view.execution
        try:
            if request.revision is not None:
                flow = await self.flows.revision(
                    request.namespace, request.flow_id, request.revision
                )
                revision = request.revision
            else:
                flow, revision = await self.flows.latest(request.namespace, request.flow_id)
            sub_batch, child = self.new_execution(
                flow,
                revision,
                request.inputs,
                labels=request.labels,
                parent=(ex.id, tr.id),
                parent_waits=request.wait,
                tenant=ex.tenant,
                trigger={
                    "type": "subflow",
                    "variables": {
                        "executionId": ex.id,
                        "namespace": ex.namespace,
                        "flowId": ex.flow_id,
                        "flowRevision": ex.flow_revision,
                    },
                },
            )
        except (NotFoundError, InputInvalidError, HeadwayError) as exc:
            ev.log("ERROR", f"subflow {request.namespace}.{request.flow_id}: {exc.message}", tr)
            tr.extra["subflowState"] = State.FAILED.value
            tr.extra["subflowError"] = exc.message
            return
        tr.extra["executionId"] = child.id
        tr.extra["wait"] = request.wait
        ev.batch.executions.extend(sub_batch.executions)
        ev.batch.events.extend(sub_batch.events)
        ev.log("INFO", f"started subflow execution {child.id} of {flow.uid}", tr)

    async def _commit(self, batch: Batch) -> None:
        if not batch:
            return
        await self.store.commit(batch)
        for timer in batch.timers:
            if self._timer_hint is None or timer.due_at < self._timer_hint:
                self._timer_hint = timer.due_at
        for listener in self.listeners:
            listener(batch)

    # --- requests from users ----------------------------------------------------------------
    async def request(self, execution_id: str, kind: str, payload: dict[str, Any]) -> None:
        await self._commit(Batch(events=[NewEvent(execution_id, kind, payload)]))
        self.wakeup.set()

    async def replay(self, execution_id: str, task_run_id: str) -> Execution:
        """A new execution that keeps what ran before ``task_run_id`` and runs the rest
        again (see :func:`headway.engine.rerun.plan_replay`)."""
        view = await self.view(execution_id)
        if view is None:
            raise NotFoundError(f"execution '{execution_id}' not found")
        execution = rerun.plan_replay(view, task_run_id, utcnow())
        await self._commit(
            Batch(
                executions=[execution],
                task_runs=list(execution.task_runs),
                events=[NewEvent(execution.id, "created", {"replayOf": execution_id})],
            )
        )
        self.wakeup.set()
        return execution


@dataclass(slots=True)
class _Evaluated:
    """An evaluation ready to commit: what caused it (to evaluate it again, alone, when a
    group commit is refused), its batch, and what to do once that is in."""

    execution_id: str
    events: list[Event]
    results: list[Batch]  # the local worker's (their events are among ``events``)
    batch: Batch
    handed: list[QueuedTaskRun]  # leased to the local worker in ``batch``
    ended: bool
    cancel: list[str]


def _counts_running(view: ExecutionView) -> bool:
    """Whether evaluating the execution counts its flow's running executions in the store
    (a concurrency limit, and it has not started): it must see what was committed before."""
    return view.flow.concurrency is not None and view.execution.current in (
        State.CREATED,
        State.QUEUED,
    )


def _carried(batches: list[Batch]) -> Batch | None:
    """A local worker's results for one execution, but their events: logs, queue removals,
    and the leases they need (committed with the evaluation they cause)."""
    if not batches:
        return None
    return replace(Batch.combine(batches), events=[])


async def _sleep_or_stop(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)
