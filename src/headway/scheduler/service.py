"""The scheduler: fires Schedule and ScheduleOnDates triggers and their backfills, polls HTTP
triggers, evaluates Flow triggers when executions end, and keeps trigger state in the store.

One scheduler acts at a time: it holds the store's ``scheduler`` lease (renewed at every
evaluation) and stands by while another process holds it.

    scheduler = Scheduler(engine.store, engine.flows, engine.executor)
    await scheduler.run(stop)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from datetime import datetime, timedelta

from headway.engine.executor import Executor
from headway.engine.flows import FlowRepository
from headway.errors import HeadwayError
from headway.execution import Execution, new_id
from headway.scheduler import flow_triggers, polling
from headway.scheduler.clock import Clock, SystemClock
from headway.scheduler.evaluate import context, simple_conditions_hold
from headway.scheduler.firing import Firing, build, merge_batches, notify, schedule_variables
from headway.scheduler.index import Entry, FlowIndex, definition_hash
from headway.scheduler.schedules import Timed, after, before, dates_until, due, first_date
from headway.store.base import Batch, Fence, Store, TriggerState
from headway.triggers.model import HttpTrigger, Schedule, ScheduleOnDates, TriggerBase

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
BACKFILL_BATCH = 10
Key = tuple[str, str, str, str]


class Scheduler:
    def __init__(
        self,
        store: Store,
        flows: FlowRepository,
        executor: Executor,
        *,
        clock: Clock | None = None,
        tick: float = 1.0,
        lease: timedelta = timedelta(seconds=15),
        recover_missed_schedules: str = "ALL",
        holder: str | None = None,
    ) -> None:
        self.store = store
        self.flows = flows
        self.executor = executor
        self.env = executor.env
        self.tenant = flows.tenant
        self.clock: Clock = clock or SystemClock()
        self.tick_seconds = tick
        self.lease = lease
        self.recover_default = recover_missed_schedules
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{new_id()[:6]}"
        self.index = FlowIndex(store, flows)
        self.started: datetime | None = None
        # Whether the last ``lead`` won the lease (then what it fires is fenced by it).
        self.elected = False
        self.wakeup = asyncio.Event()
        self.polls: dict[Key, asyncio.Task[None]] = {}
        # For /metrics: how late the last scheduled date fired, and how many fired.
        self.last_lag_seconds = 0.0
        self.fired_total = 0
        executor.end_hooks.append(self._on_end)

    # --- the loop ---------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event) -> None:
        """Evaluate triggers until ``stop`` is set: at each due date, when an execution
        ends, and every ``tick`` seconds."""
        try:
            while not stop.is_set():
                self.wakeup.clear()
                wait = self.tick_seconds
                try:
                    if await self.lead():
                        next_due = await self.tick()
                        if next_due is not None:
                            until = (next_due - self.clock.now()).total_seconds()
                            wait = max(0.0, min(wait, until))
                except HeadwayError as exc:
                    # The store is unreachable for a while, say: try again at the next tick.
                    log.warning("scheduler: evaluation failed, retrying: %s", exc.message)
                await self._sleep(wait, stop)
        finally:
            for task in self.polls.values():
                task.cancel()
            for task in list(self.polls.values()):
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _sleep(self, seconds: float, stop: asyncio.Event) -> None:
        relay = asyncio.ensure_future(_relay(stop, self.wakeup))
        try:
            await self.clock.sleep(seconds, self.wakeup)
        finally:
            relay.cancel()

    async def lead(self) -> bool:
        """Take or renew the scheduler lease: only its holder evaluates triggers."""
        now = self.clock.now()
        leading = await self.store.acquire_lease(LEASE_NAME, self.holder, now, now + self.lease)
        self.elected = leading
        if leading and self.started is None:
            self.started = now
        return leading

    async def tick(self) -> datetime | None:
        """One evaluation of every trigger; return when the next one falls due."""
        now = self.clock.now()
        if self.started is None:
            self.started = now
        await self.index.refresh()
        states = {s.key: s for s in await self.store.list_triggers(self.tenant)}
        await self._sync(states, now)
        await self.process_ended(states)
        next_due: datetime | None = None
        for entry in list(self.index.entries.values()):
            for trigger in entry.flow.triggers:
                key = (self.tenant, entry.flow.namespace, entry.flow.id, trigger.id)
                state = states.get(key)
                if state is None:
                    continue
                if isinstance(trigger, Schedule | ScheduleOnDates):
                    when = await self._schedule(entry, trigger, state, now)
                elif isinstance(trigger, HttpTrigger):
                    when = await polling.maybe_poll(self, entry, trigger, state, now)
                else:
                    continue
                if when is not None and (next_due is None or when < next_due):
                    next_due = when
        return next_due

    # --- trigger state follows the flows --------------------------------------------------------
    async def _sync(self, states: dict[Key, TriggerState], now: datetime) -> None:
        """Create the state of new triggers, start a changed one again from now, delete the
        state of triggers and flows that are gone."""
        to_save: list[TriggerState] = []
        for entry in self.index.entries.values():
            for trigger in entry.flow.triggers:
                key = (self.tenant, entry.flow.namespace, entry.flow.id, trigger.id)
                digest = definition_hash(entry.flow, trigger)
                state = states.get(key)
                if state is not None and state.data.get("definition") == digest:
                    continue
                if state is None:
                    state = states[key] = TriggerState(*key)
                state.data = {**state.data, "definition": digest}
                state.next_date = self._first(trigger, now)
                to_save.append(state)
        await self.store.save_triggers(to_save)
        by_flow: dict[tuple[str, str], list[str]] = {}
        for key in list(states):
            by_flow.setdefault((key[1], key[2]), []).append(key[3])
        for (namespace, flow_id), ids in by_flow.items():
            found = self.index.entries.get((namespace, flow_id))
            if (namespace, flow_id) in self.index.known - self.index.valid:
                continue  # an invalid flow's revision: keep its state
            keep = [t.id for t in found.flow.triggers] if found is not None else []
            if set(ids) - set(keep):
                await self.store.delete_triggers(self.tenant, namespace, flow_id, keep)
                for trigger_id in set(ids) - set(keep):
                    states.pop((self.tenant, namespace, flow_id, trigger_id), None)

    def _first(self, trigger: TriggerBase, now: datetime) -> datetime | None:
        if isinstance(trigger, Schedule | ScheduleOnDates):
            return first_date(trigger, now)
        if isinstance(trigger, HttpTrigger):
            return now
        return None

    # --- schedules ---------------------------------------------------------------------------
    async def _schedule(
        self, entry: Entry, trigger: Timed, state: TriggerState, now: datetime
    ) -> datetime | None:
        if trigger.disabled or entry.flow.disabled or state.disabled:
            return None
        fired: list[tuple[Batch, Execution]] = []
        changed = False
        if state.backfill is not None and not state.backfill.paused:
            fired += await self._backfill(entry, trigger, state, now)
            changed = True
        running = await self._running(state, trigger)
        if state.execution_id is not None and not running:
            state.execution_id, changed = None, True
        if state.next_date is not None and state.next_date <= now:
            assert self.started is not None
            plan = due(trigger, state.next_date, now, self.started, self.recover_default)
            if running:
                # Does not overlap its own execution: the latest due date waits for it.
                if plan.fire and plan.fire[-1] != state.next_date:
                    state.next_date, changed = plan.fire[-1], True
            else:
                for date in plan.fire:
                    fired += await self._fire_date(entry, trigger, state, date, now)
                state.next_date, changed = plan.next_date, True
        if changed:
            await self.commit_fired(fired, [state])
        if state.backfill is not None and not state.backfill.paused:
            return now
        return None if running else state.next_date

    async def _running(self, state: TriggerState, trigger: TriggerBase) -> bool:
        """Whether the execution this trigger started still runs (and it may not overlap)."""
        if state.execution_id is None or trigger.allow_concurrent:
            return False
        execution = await self.store.get_execution(state.execution_id)
        return execution is not None and not execution.current.terminal

    async def _fire_date(
        self,
        entry: Entry,
        trigger: Timed,
        state: TriggerState,
        date: datetime,
        now: datetime,
        *,
        backfill: bool = False,
    ) -> list[tuple[Batch, Execution]]:
        variables = schedule_variables(date, after(trigger, date), before(trigger, date))
        where = f"trigger {entry.flow.namespace}.{entry.flow.id}.{trigger.id}"
        ctx = context(self.env, entry.flow, self.tenant, {**variables}, now)
        if not simple_conditions_hold(trigger, ctx, where):
            log.info("%s: conditions not met for %s", where, variables["date"])
            return []
        firing = Firing(entry.flow, entry.revision, trigger, variables, self.tenant, date)
        if backfill and state.backfill is not None:
            firing.inputs = dict(state.backfill.inputs)
            firing.labels = dict(state.backfill.labels)
        batch, execution = await build(self.executor, self.env, firing)
        self.fired_total += 1
        if not backfill:
            self.last_lag_seconds = max(0.0, (self.clock.now() - date).total_seconds())
            state.last_date = date
            if not trigger.allow_concurrent and not execution.current.terminal:
                state.execution_id = execution.id
        if execution.current in trigger.stop_after:
            state.disabled = True
        return [(batch, execution)]

    async def _backfill(
        self, entry: Entry, trigger: Timed, state: TriggerState, now: datetime
    ) -> list[tuple[Batch, Execution]]:
        backfill = state.backfill
        assert backfill is not None
        end = min(backfill.end, now) if backfill.end is not None else now
        dates = dates_until(trigger, backfill.current_date, end)[:BACKFILL_BATCH]
        fired: list[tuple[Batch, Execution]] = []
        for date in dates:
            fired += await self._fire_date(entry, trigger, state, date, now, backfill=True)
        following = after(trigger, dates[-1]) if dates else backfill.current_date
        if following is None or following > (backfill.end or now):
            state.backfill = None  # done
        else:
            backfill.current_date = following
        return fired

    # --- committing -------------------------------------------------------------------------
    async def commit_fired(
        self,
        fired: list[tuple[Batch, Execution]],
        states: list[TriggerState],
        ended_done: list[str] | None = None,
    ) -> None:
        """New executions with the trigger states that made them, in one transaction.
        FAILED ones (that could not start) are recorded as ended first (Flow triggers and
        ``stopAfter`` see them)."""
        failed = [ex.id for _, ex in fired if ex.current.terminal]
        if failed:
            await self.store.record_ended(self.tenant, failed)
        batch = merge_batches([b for b, _ in fired])
        if self.elected:
            # Only while this scheduler still leads: a leader that lost its lease (cut off
            # for longer than it) fires nothing another has fired.
            batch.fence = Fence(named_lease=(LEASE_NAME, self.holder))
        await self.store.commit_triggered(batch, states, ended_done or [])
        notify(self.executor, batch)
        if failed:
            self.wakeup.set()

    # --- ended executions: Flow triggers, locks, stopAfter ------------------------------------
    async def _on_end(self, execution: Execution) -> None:
        """The executor's hook, before the end of ``execution`` is committed."""
        if execution.tenant != self.tenant or not self._wants(execution):
            return
        await self.store.record_ended(execution.tenant, [execution.id])
        self.wakeup.set()

    def _wants(self, execution: Execution) -> bool:
        """Whether its end matters: Flow triggers may react, or the trigger that started
        it waits for it (a schedule, a poll) or stops after some states."""
        if not self.index.loaded or self.index.flow_triggers():
            return True
        trigger_id = (execution.trigger or {}).get("id")
        entry = self.index.entries.get((execution.namespace, execution.flow_id))
        if not isinstance(trigger_id, str) or entry is None:
            return False
        trigger = entry.trigger(trigger_id)
        return trigger is not None and (bool(trigger.stop_after) or trigger.kind != "webhook")

    async def process_ended(self, states: dict[Key, TriggerState] | None = None) -> int:
        """Evaluate Flow triggers for executions that ended; release the triggers that
        started them (``stopAfter``). Return how many executions were handled."""
        if states is None:
            states = {s.key: s for s in await self.store.list_triggers(self.tenant)}
        handled = 0
        for execution_id in await self.store.ended_executions():
            execution = await self.store.get_execution(execution_id)
            if execution is not None and not execution.current.terminal:
                continue  # its end did not commit: it will end again
            changed: list[TriggerState] = []
            fired: list[tuple[Batch, Execution]] = []
            if execution is not None and execution.tenant == self.tenant:
                changed += self._release(execution, states)
                now = self.clock.now()
                firings, windows = flow_triggers.firings(
                    self.env, self.index.flow_triggers(), states, execution, now
                )
                changed += windows
                for firing in firings:
                    batch, new = await build(self.executor, self.env, firing)
                    fired.append((batch, new))
            unique = list({s.key: s for s in changed}.values())
            await self.commit_fired(fired, unique, [execution_id])
            handled += 1
        return handled

    def _release(self, execution: Execution, states: dict[Key, TriggerState]) -> list[TriggerState]:
        trigger_id = (execution.trigger or {}).get("id")
        if not isinstance(trigger_id, str):
            return []
        key = (execution.tenant, execution.namespace, execution.flow_id, trigger_id)
        state = states.get(key)
        if state is None:
            return []
        changed = False
        if state.execution_id == execution.id:
            state.execution_id, changed = None, True
        entry = self.index.entries.get((execution.namespace, execution.flow_id))
        trigger = entry.trigger(trigger_id) if entry is not None else None
        if trigger is not None and execution.current in trigger.stop_after and not state.disabled:
            log.info(
                "trigger %s.%s.%s disabled: execution %s ended %s (stopAfter)",
                execution.namespace, execution.flow_id, trigger_id, execution.id,
                execution.current,
            )  # fmt: skip
            state.disabled, changed = True, True
        return [state] if changed else []


async def _relay(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()
