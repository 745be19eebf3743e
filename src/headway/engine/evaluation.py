"""One pass of the executor over one execution.

An :class:`Evaluation` applies the execution's pending events (worker results, resumes,
kills, subflow ends), then advances it to a fixpoint: creates the TaskRuns that are due,
lets flowable tasks decide, ends the execution when its tasks are done. Every change goes
into one :class:`Batch`, which the executor commits in one transaction. Evaluation is pure
computation over the in-memory view: it does no I/O.
"""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from headway.durations import format_duration
from headway.engine import rerun, scopes
from headway.engine.flowable_context import EvaluationFlowableContext
from headway.engine.rendering import Renderer, StoreBridge
from headway.engine.retry import retry_delay
from headway.engine.variables import variables
from headway.engine.view import ExecutionView
from headway.errors import ConflictError, HeadwayError
from headway.execution import Attempt, Execution, LogEntry, StateRecord, TaskRun, new_id, parse_iso
from headway.flows.tasks import TaskBase
from headway.flows.values import InputValueError, convert_value, serialize_value
from headway.masking import Masker
from headway.plugins.base import Advance, Child, FlowableTask, SubflowRequest, TriggerSwitch
from headway.state import State
from headway.store.base import Batch, Event, NewEvent, QueuedTaskRun, Timer

log = logging.getLogger(__name__)

# The sequence number of an event handed over in memory (never stored, never acknowledged).
LOCAL_SEQ = 0

# Without a retry policy, how many times a TaskRun runs again after its worker was lost.
LOST_ATTEMPTS = 3
ACTIVE = (State.RUNNING, State.PAUSED, State.KILLING, State.RESTARTED)


@dataclass
class EngineEnv:
    """What an evaluation needs from outside: settings-derived values and the store bridge."""

    envs: dict[str, str] = field(default_factory=dict)
    secrets: dict[str, str] = field(default_factory=dict)
    bridge: StoreBridge | None = None
    # What the Toggle task uses (None where triggers cannot be changed).
    triggers: TriggerSwitch | None = None
    # Masks the configured secrets' values in logs (per execution: its SECRET inputs too).
    masker: Masker = field(default_factory=Masker)
    # The worker groups with a live worker (None: not known yet), for workerGroup.fallback.
    worker_groups: frozenset[str] | None = None

    def masker_for(self, execution: Execution) -> Masker:
        return self.masker.with_secrets(execution.secret_values())

    def renderer(
        self, view: ExecutionView, tr: TaskRun | None, attempt: int | None = None
    ) -> Renderer:
        """Renders expressions as seen from a TaskRun (or the execution), with the engine's
        functions."""
        return Renderer(
            variables(view, tr, self.envs, attempt=attempt),
            secrets=self.secrets,
            bridge=self.bridge,
            tenant=view.execution.tenant,
            execution_id=view.execution.id,
        )


def allowed_state(task: TaskBase, state: State) -> State:
    """A TaskRun's end state after ``allowFailure`` (FAILED -> WARNING) and ``allowWarning``
    (WARNING -> SUCCESS), as Kestra records it on the TaskRun (its attempts keep theirs)."""
    if state is State.FAILED and task.allow_failure:
        state = State.WARNING
    if state is State.WARNING and task.allow_warning:
        state = State.SUCCESS
    return state


# In an execution's extra: paused by a user (the API's pause), not by a Pause task.
PAUSED_BY_USER = "pausedByUser"


class Evaluation:
    def __init__(self, view: ExecutionView, env: EngineEnv, now: datetime) -> None:
        self.view = view
        self.env = env
        self.now = now
        self.batch = Batch()
        self.subflows: list[tuple[TaskRun, SubflowRequest]] = []
        self.cancel: list[str] = []  # running TaskRuns that workers must stop
        self.ended = False
        # A user asked to start the execution despite its flow's concurrency limit.
        self.forced = False
        self._dirty: dict[str, TaskRun] = {}
        self._execution_dirty = False
        self._masker = env.masker_for(view.execution)

    # --- bookkeeping --------------------------------------------------------------------------
    @property
    def execution(self) -> Execution:
        return self.view.execution

    def _touch(self, tr: TaskRun) -> None:
        self._dirty[tr.id] = tr

    def _touch_execution(self) -> None:
        self._execution_dirty = True

    def log(self, level: str, message: str, tr: TaskRun | None = None) -> None:
        ex = self.execution
        self.batch.logs.append(
            LogEntry(
                execution_id=ex.id,
                level=level,
                message=self._masker.text(message),
                timestamp=self.now,
                namespace=ex.namespace,
                flow_id=ex.flow_id,
                task_id=tr.task_id if tr else None,
                task_run_id=tr.id if tr else None,
                tenant=ex.tenant,
            )
        )

    def renderer(self, tr: TaskRun | None) -> Renderer:
        return self.env.renderer(self.view, tr)

    def finish(self) -> Batch:
        """The batch of every change made (call once, after the last step)."""
        if self._execution_dirty:
            self.batch.executions.append(self.execution)
        self.batch.task_runs.extend(self._dirty.values())
        return self.batch

    # --- events -------------------------------------------------------------------------------
    def apply(self, event: Event) -> None:
        if event.seq != LOCAL_SEQ:
            self.batch.ack_events.append(event.seq)
        handler = getattr(self, f"_on_{event.kind}", None)
        if handler is None:
            log.warning("ignoring event of unknown kind %r", event.kind)
            return
        handler(event.payload)

    def _on_created(self, payload: dict[str, Any]) -> None:
        pass

    def _on_wake(self, payload: dict[str, Any]) -> None:
        pass

    def _task_run_for(self, payload: dict[str, Any]) -> TaskRun | None:
        try:
            return self.view.get(payload["taskRunId"])
        except KeyError:
            log.warning("event for unknown TaskRun %s", payload.get("taskRunId"))
            return None

    def _on_started(self, payload: dict[str, Any]) -> None:
        tr = self._task_run_for(payload)
        if tr is None or tr.current.terminal or payload["attempt"] != len(tr.attempts) + 1:
            return
        at = parse_iso(payload["date"]) if "date" in payload else self.now
        if tr.current is not State.RUNNING:
            tr.state.transition(State.RUNNING, at)
        tr.attempts.append(Attempt(StateRecord.start(State.RUNNING, at), payload.get("workerId")))
        tr.next_retry_date = None
        self._touch(tr)

    def _on_result(self, payload: dict[str, Any]) -> None:
        started = payload.get("started")
        if started is not None:
            # A quick task's start comes with its result (ignored if it came on its own).
            self._on_started(
                {"taskRunId": payload["taskRunId"], "attempt": payload["attempt"], **started}
            )
        tr = self._task_run_for(payload)
        if tr is None or tr.current.terminal or payload["attempt"] != len(tr.attempts):
            return
        at = parse_iso(payload["date"]) if "date" in payload else self.now
        state = State(payload["state"])
        task = self.view.task(tr.task_id)
        attempt = tr.attempts[-1]
        if not attempt.state.current.terminal:
            attempt.state.transition(state, at)
        self.batch.dequeue.append(tr.id)
        self._touch(tr)
        if state is State.FAILED and payload.get("retryable", True) and self._retry(tr, task):
            return
        if state is State.SUCCESS and len(tr.attempts) > 1:
            policy = task.retry or self.view.flow.retry
            if policy is not None and policy.warning_on_retry:
                state = State.WARNING
        state = allowed_state(task, state)
        if payload.get("outputs") is not None:
            self.view.set_outputs(tr, payload["outputs"])
        tr.state.transition(state, at)
        labels = payload.get("labels")
        if labels:
            self._set_labels(labels)
        if payload.get("metrics"):
            tr.extra.setdefault("metrics", []).extend(payload["metrics"])

    def _on_lost(self, payload: dict[str, Any]) -> None:
        """A worker stopped renewing its lease on an attempt (it died, or was cut off): the
        attempt is FAILED, and the TaskRun runs again as a new attempt -- within the retry
        policy of the task or flow when there is one, else up to LOST_ATTEMPTS times."""
        tr = self._task_run_for(payload)
        attempt = payload["attempt"]
        if tr is None or tr.current.terminal or attempt < len(tr.attempts):
            return
        worker = payload.get("workerId")
        if attempt == len(tr.attempts) + 1:
            # Lost before it reported its start: it started as far as we know (as
            # ``_on_started`` would record it), so the TaskRun leaves CREATED or RETRYING
            # for RUNNING before it fails or retries.
            if tr.current is not State.RUNNING:
                tr.state.transition(State.RUNNING, self.now)
            tr.attempts.append(Attempt(StateRecord.start(State.RUNNING, self.now), worker))
            tr.next_retry_date = None
        last = tr.attempts[-1]
        if not last.state.current.terminal:
            last.state.transition(State.FAILED, self.now)
        lost = int(tr.extra.get("lostAttempts", 0)) + 1
        tr.extra["lostAttempts"] = lost
        self._touch(tr)
        self.log(
            "WARN",
            f"attempt {attempt} lost: worker {worker} stopped renewing its lease "
            f"(it ended at {payload.get('leaseUntil', '?')})",
            tr,
        )
        if self.execution.current is State.KILLING:
            tr.state.transition(State.KILLED, self.now)
            return
        task = self.view.task(tr.task_id)
        if task.retry is not None or self.view.flow.retry is not None:
            if self._retry(tr, task):
                return
        elif lost < LOST_ATTEMPTS:
            if tr.current is State.RUNNING:
                tr.state.transition(State.RETRYING, self.now)
            self._enqueue(tr, task, len(tr.attempts) + 1, self.now)
            return
        self.log("ERROR", f"lost {lost} time(s): not run again", tr)
        tr.state.transition(allowed_state(task, State.FAILED), self.now)

    def _retry(self, tr: TaskRun, task: TaskBase) -> bool:
        policy = task.retry or self.view.flow.retry
        if policy is None or policy.behavior != "RETRY_FAILED_TASK":
            return False
        delay = retry_delay(policy, len(tr.attempts), tr.attempts[0].state.start_date, self.now)
        if delay is None:
            return False
        tr.state.transition(State.RETRYING, self.now)
        tr.next_retry_date = self.now + delay
        self.log(
            "WARN", f"attempt {len(tr.attempts)} failed; retrying in {format_duration(delay)}", tr
        )
        self._enqueue(tr, task, len(tr.attempts) + 1, tr.next_retry_date)
        return True

    def _set_labels(self, labels: dict[str, str]) -> None:
        current = {label["key"]: label["value"] for label in self.execution.labels}
        current.update({str(k): str(v) for k, v in labels.items()})
        self.execution.labels = [{"key": k, "value": v} for k, v in current.items()]
        self._touch_execution()

    def _on_labels(self, payload: dict[str, Any]) -> None:
        """Labels set by a user (the API): added to the execution's, replacing same keys;
        with ``replace``, the execution's labels become exactly these."""
        if payload.get("replace"):
            self.execution.labels = []
        self._set_labels(payload.get("labels") or {})

    def _on_restart(self, payload: dict[str, Any]) -> None:
        """Run a FAILED or KILLED execution again from its failed TaskRuns (see
        :mod:`headway.engine.rerun`)."""
        try:
            rerun.check_restartable(self.execution)
        except ConflictError as exc:
            self.log("WARN", f"restart ignored: {exc.message}")
            return
        self._restart()

    def _restart(self) -> None:
        ex = self.execution
        plan = rerun.plan_restart(self.view)
        if plan.remove:
            ex.task_runs = [tr for tr in ex.task_runs if tr.id not in plan.remove]
            self.batch.delete_task_runs.extend(plan.remove)
            for trid in plan.remove:
                self._dirty.pop(trid, None)
        ex.state.transition(State.RESTARTED, self.now)
        ex.state.transition(State.RUNNING, self.now)
        ex.outputs = None
        ex.extra.pop("endState", None)
        self._touch_execution()
        for tr in plan.rerun:
            task = self.view.task(tr.task_id)
            if rerun.rerun_task_run(tr, task, self.now):
                self._enqueue(tr, task, len(tr.attempts) + 1, self.now)
            self._touch(tr)
        # The indexes are rebuilt: without the removed TaskRuns, with the reopened ones.
        self.view = ExecutionView(self.view.flow, ex)
        self.log("INFO", f"restarted: {len(plan.rerun)} TaskRun(s) run again")

    def _on_set_state(self, payload: dict[str, Any]) -> None:
        """A user sets an ended TaskRun's state (say SUCCESS for a failure fixed by hand);
        the execution then continues from there, as after a restart."""
        state = State(payload["state"])
        try:
            rerun.check_state_change(self.execution, payload["taskRunId"], state)
        except HeadwayError as exc:
            self.log("WARN", f"state change ignored: {exc.message}")
            return
        tr = self.view.get(payload["taskRunId"])
        tr.state.transition(State.RESTARTED, self.now)
        tr.state.transition(state, self.now)
        self._touch(tr)
        self.log("INFO", f"state set to {state.value} by a user", tr)
        self._restart()

    def _on_force_run(self, payload: dict[str, Any]) -> None:
        if self.execution.current in (State.CREATED, State.QUEUED):
            self.forced = True
            self.log("INFO", "started now by a user (despite its schedule or concurrency limit)")

    def _on_pause(self, payload: dict[str, Any]) -> None:
        """A user pauses a running execution: its running tasks finish, no new one starts
        until it is resumed."""
        ex = self.execution
        if ex.current is not State.RUNNING:
            self.log("WARN", f"pause ignored: the execution is {ex.current.value}")
            return
        ex.state.transition(State.PAUSED, self.now)
        ex.extra[PAUSED_BY_USER] = True
        self._touch_execution()
        self.log("INFO", "paused by a user")

    def _on_resume(self, payload: dict[str, Any]) -> None:
        ex = self.execution
        ex.extra.pop(PAUSED_BY_USER, None)
        paused = [tr for tr in ex.task_runs if tr.current is State.PAUSED]
        if payload.get("taskRunId"):
            paused = [tr for tr in paused if tr.id == payload["taskRunId"]]
        for tr in paused:
            tr.extra["resumed"] = payload.get("inputs") or {}
            tr.state.transition(State.RUNNING, self.now)
            self._touch(tr)
            self.log("INFO", "resumed", tr)
        if ex.current is State.PAUSED:
            ex.state.transition(State.RUNNING, self.now)
            self._touch_execution()

    def _on_subflow(self, payload: dict[str, Any]) -> None:
        tr = self._task_run_for(payload)
        if tr is None or tr.current.terminal:
            return
        tr.extra["subflowState"] = payload["state"]
        tr.extra["subflowOutputs"] = payload.get("outputs")
        self._touch(tr)

    def fail(self, message: str) -> None:
        """End the execution FAILED at once: every open TaskRun FAILED (running ones are
        stopped), ``message`` in the logs."""
        self.log("ERROR", message)
        for tr in self.view.open():
            if tr.current is State.RUNNING and not isinstance(
                self.view.task(tr.task_id), FlowableTask
            ):
                self.cancel.append(tr.id)
            tr.state.transition(State.FAILED, self.now)
            self.batch.dequeue.append(tr.id)
            self._touch(tr)
        self.execution.state.transition(State.FAILED, self.now)
        self._touch_execution()
        self._ended()

    def _on_kill(self, payload: dict[str, Any]) -> None:
        ex = self.execution
        ex.extra.pop(PAUSED_BY_USER, None)
        if ex.current.terminal or ex.current is State.KILLING:
            return
        self.log("WARN", "kill requested")
        if ex.current in (State.CREATED, State.QUEUED):
            ex.state.transition(State.KILLED, self.now)
            self._touch_execution()
            self._ended()
            return
        ex.state.transition(State.KILLING, self.now)
        self._touch_execution()
        for tr in ex.task_runs:
            if tr.current.terminal:
                continue
            task = self.view.task(tr.task_id)
            if isinstance(task, FlowableTask):
                child_id = tr.extra.get("executionId")
                if child_id and tr.extra.get("wait", True):
                    self.batch.events.append(NewEvent(child_id, "kill"))
                continue
            # A worker may run it already (its start is reported with its result): stop it.
            self.cancel.append(tr.id)
            if tr.current is not State.RUNNING:
                tr.state.transition(State.KILLED, self.now)
                self.batch.dequeue.append(tr.id)
                self._touch(tr)

    # --- advancing ----------------------------------------------------------------------------
    def run(self, *, slot_free: bool = True) -> None:
        """Advance the execution as far as it goes now."""
        ex = self.execution
        if ex.current.terminal:
            return
        if ex.extra.get(PAUSED_BY_USER):
            return  # running tasks finish; nothing new starts until a resume
        later = ex.schedule_date
        if ex.current is State.CREATED and later and later > self.now and not self.forced:
            # Scheduled for later (the API's scheduleDate): evaluated again then.
            self._set_timers([Timer(ex.id, later)])
            return
        if ex.current in (State.CREATED, State.QUEUED) and not self._start(
            slot_free or self.forced
        ):
            return
        for _ in range(10_000):
            if ex.current.terminal or not self._step():
                break
        self._set_timers(self._timers)

    def _set_timers(self, timers: list[Timer]) -> None:
        """These timers replace the execution's (``run`` may be called again); nothing is
        written when it has none and is known to have none stored."""
        ex = self.execution
        if not timers and self.view.timers_stored is False:
            return
        if ex.id not in self.batch.clear_timers:
            self.batch.clear_timers.append(ex.id)
        self.batch.timers = [t for t in self.batch.timers if t.execution_id != ex.id]
        self.batch.timers.extend(timers)
        self.view.timers_stored = bool(timers)

    def _start(self, slot_free: bool) -> bool:
        ex = self.execution
        concurrency = self.view.flow.concurrency
        if not slot_free and concurrency is not None:
            if concurrency.behavior == "QUEUE":
                if ex.current is State.CREATED:
                    ex.state.transition(State.QUEUED, self.now)
                    self._touch_execution()
                    self.log("INFO", f"queued: concurrency limit {concurrency.limit} reached")
                return False
            end = State.CANCELLED if concurrency.behavior == "CANCEL" else State.FAILED
            ex.state.transition(end, self.now)
            self.log("WARN", f"{end.value.lower()}: concurrency limit {concurrency.limit} reached")
            self._touch_execution()
            self._ended()
            return False
        ex.state.transition(State.RUNNING, self.now)
        self._touch_execution()
        return True

    _timers: list[Timer]

    def _step(self) -> bool:
        self._timers = []
        ex = self.execution
        flow = self.view.flow
        changed = False
        killing = ex.current is State.KILLING
        # Flowable TaskRuns first (children before the root decides), oldest first.
        for tr in self.view.open_flowables():
            if tr.current.terminal or tr.current is State.CREATED:
                continue
            task = self.view.task(tr.task_id)
            if not isinstance(task, FlowableTask):
                continue
            if killing:
                changed |= self._kill_flowable(tr)
            else:
                changed |= self._advance_flowable(tr, task)
        if killing:
            if not self.view.open():
                ex.state.transition(State.KILLED, self.now)
                self._touch_execution()
                self._ended()
            return changed
        root = scopes.sequential(
            self.view, None, flow.tasks, errors=flow.errors, finally_=flow.finally_
        )
        changed |= self._create(None, root.create)
        if root.done is not None:
            changed |= self._end(root.done)
        changed |= self._pause_state()
        return changed

    def _advance_flowable(self, tr: TaskRun, task: FlowableTask) -> bool:
        ctx = EvaluationFlowableContext(self, tr)
        try:
            adv = task.advance(ctx)
        except HeadwayError as exc:
            self.log("ERROR", exc.message, tr)
            adv = Advance(done=State.FAILED)
        except Exception as exc:  # noqa: BLE001 - the boundary around plugin code
            self.log("ERROR", f"{type(exc).__name__}: {exc}", tr)
            self.log("DEBUG", "".join(traceback.format_exception(exc)), tr)
            adv = Advance(done=State.FAILED)
        return self._apply_advance(tr, adv)

    def _apply_advance(self, tr: TaskRun, adv: Advance) -> bool:
        changed = False
        if adv.extra:
            tr.extra.update(adv.extra)
            self._touch(tr)
        if adv.wake_at is not None:
            self._timers.append(Timer(self.execution.id, adv.wake_at, tr.id))
        if adv.subflow is not None and "subflowRequested" not in tr.extra:
            tr.extra["subflowRequested"] = True
            self._touch(tr)
            self.subflows.append((tr, adv.subflow))
        changed |= self._create(tr.id, adv.create)
        if adv.state is not None and adv.state is not tr.current and adv.done is None:
            tr.state.transition(adv.state, self.now)
            self._touch(tr)
            changed = True
        if adv.outputs is not None and adv.outputs != tr.outputs:
            self.view.set_outputs(tr, adv.outputs)
            self._touch(tr)
            changed = True
        if adv.done is not None:
            tr.state.transition(allowed_state(self.view.task(tr.task_id), adv.done), self.now)
            self._touch(tr)
            changed = True
        return changed

    def _kill_flowable(self, tr: TaskRun) -> bool:
        if any(not c.current.terminal for c in self.view.children(tr.id)):
            return False
        tr.state.transition(State.KILLED, self.now)
        self._touch(tr)
        return True

    def _pause_state(self) -> bool:
        ex = self.execution
        paused = any(tr.current is State.PAUSED for tr in self.view.open_flowables())
        if paused and ex.current is State.RUNNING:
            ex.state.transition(State.PAUSED, self.now)
        elif not paused and ex.current is State.PAUSED:
            ex.state.transition(State.RUNNING, self.now)
        else:
            return False
        self._touch_execution()
        return True

    def _create(self, parent_id: str | None, children: list[Child]) -> bool:
        for child in children:
            self._create_one(parent_id, child)
        return bool(children)

    def _create_one(self, parent_id: str | None, child: Child) -> TaskRun:
        ex = self.execution
        tr = TaskRun(
            id=new_id(),
            execution_id=ex.id,
            task_id=child.task.id,
            state=StateRecord.start(State.CREATED, self.now),
            parent_task_run_id=parent_id,
            value=child.value,
            iteration=child.iteration,
            extra=dict(child.extra),
        )
        self.view.add(tr)
        self._touch(tr)
        task = child.task
        if task.run_if is not None:
            try:
                run = self.renderer(tr).truthy(task.run_if)
            except HeadwayError as exc:
                self.log("ERROR", f"runIf: {exc.message}", tr)
                tr.state.transition(State.FAILED, self.now)
                return tr
            if not run:
                tr.state.transition(State.SKIPPED, self.now)
                return tr
        if isinstance(task, FlowableTask):
            tr.state.transition(State.RUNNING, self.now)
        else:
            self._enqueue(tr, task, 1, self.now)
        return tr

    def _enqueue(self, tr: TaskRun, task: TaskBase, attempt: int, ready_at: datetime) -> None:
        group = task.worker_group.key if task.worker_group else None
        if group is not None and attempt == 1 and self._no_worker_of(group, tr, task):
            return
        self.batch.enqueue.append(
            QueuedTaskRun(tr.id, tr.execution_id, attempt, ready_at, worker_group=group)
        )
        if group is not None and attempt == 1:
            self.log("INFO", f"waiting for a worker of group '{group}'", tr)

    def _no_worker_of(self, group: str, tr: TaskRun, task: TaskBase) -> bool:
        """No live worker of the group, and the task's ``workerGroup.fallback`` says not to
        wait (FAIL: the TaskRun fails; CANCEL: it is KILLED): end it; return whether so."""
        fallback = (task.worker_group.fallback if task.worker_group else None) or "WAIT"
        live = self.env.worker_groups
        if fallback == "WAIT" or live is None or group in live:
            return False
        self.log(
            "ERROR",
            f"no worker of group '{group}' is running (workerGroup.fallback: {fallback})",
            tr,
        )
        end = State.FAILED if fallback == "FAIL" else State.KILLED
        tr.state.transition(allowed_state(task, end) if end is State.FAILED else end, self.now)
        self._touch(tr)
        return True

    def _end(self, state: State) -> bool:
        """The flow's tasks are done: run afterExecution, compute outputs, end."""
        ex = self.execution
        flow = self.view.flow
        if flow.after_execution:
            after = scopes.sequential(self.view, None, flow.after_execution)
            if after.create:
                ex.extra.setdefault("endState", state.value)
                self._touch_execution()
                return self._create(None, after.create)
            if after.done is None:
                return False
            state = State(ex.extra.get("endState", state.value))
        if state.successful and flow.outputs:
            state = self._flow_outputs(state)
        ex.state.transition(state, self.now)
        self._touch_execution()
        self._ended()
        return True

    def _flow_outputs(self, state: State) -> State:
        ex = self.execution
        renderer = self.renderer(None)
        outputs: dict[str, Any] = {}
        for out in self.view.flow.outputs:
            try:
                value = out.value
                rendered = (
                    renderer.render_typed(value)
                    if isinstance(value, str)
                    else renderer.render(value)
                )
                if rendered is not None or out.required:
                    rendered = serialize_value(convert_value(out.type, rendered))
                outputs[out.id] = rendered
            except HeadwayError as exc:
                self.log("ERROR", f"flow output '{out.id}': {exc.message}")
                return State.FAILED
            except InputValueError as exc:
                self.log("ERROR", f"flow output '{out.id}' of type {out.type}: {exc.reason}")
                return State.FAILED
        ex.outputs = outputs
        return state

    def _ended(self) -> None:
        ex = self.execution
        self.ended = True
        parent_tr = ex.extra.get("parentTaskRunId")
        if ex.parent_id and parent_tr and ex.extra.get("parentWaits", True):
            self.batch.events.append(
                NewEvent(
                    ex.parent_id,
                    "subflow",
                    {
                        "taskRunId": parent_tr,
                        "state": ex.current.value,
                        "outputs": ex.outputs,
                        "executionId": ex.id,
                    },
                )
            )
        self.log("INFO", f"execution {ex.current.value}")
