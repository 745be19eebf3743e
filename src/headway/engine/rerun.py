"""Running an ended execution again: restart (the same execution, from its failed TaskRuns)
and replay (a new execution, from a chosen TaskRun), as Kestra does.

Both are planned here from an :class:`ExecutionView` without I/O; the executor applies them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from headway.engine.view import ExecutionView
from headway.errors import ConflictError, NotFoundError
from headway.execution import Attempt, Execution, StateRecord, TaskRun, new_id
from headway.flows.tasks import TaskBase
from headway.plugins.base import FlowableTask
from headway.state import State

# An execution in one of these states can be restarted.
RESTARTABLE = (State.FAILED, State.KILLED)
# TaskRuns in these states run again on a restart.
RERUN = (State.FAILED, State.KILLED, State.CANCELLED)
# What a flowable TaskRun remembers of its last run (a subflow started, a pause answered):
# forgotten when it runs again.
_FLOWABLE_RUN_KEYS = ("executionId", "subflowState", "subflowOutputs", "subflowError", "resumed")


@dataclass
class RestartPlan:
    # TaskRuns of errors, finally and afterExecution branches (and their descendants): they
    # are deleted, to run again if the flow fails (or ends) again.
    remove: set[str] = field(default_factory=set)
    # Failed TaskRuns whose ancestors are all rerun too, parents first.
    rerun: list[TaskRun] = field(default_factory=list)


def _branch_ids(tasks: list[TaskBase] | None) -> set[str]:
    return {t.id for t in tasks or []}


def _is_branch(view: ExecutionView, tr: TaskRun) -> bool:
    """Whether the TaskRun belongs to an errors, finally or afterExecution list."""
    lists: tuple[list[TaskBase] | None, ...]
    if tr.parent_task_run_id is None:
        flow = view.flow
        lists = (flow.errors, flow.finally_, flow.after_execution)
    else:
        parent = view.task(view.get(tr.parent_task_run_id).task_id)
        lists = (getattr(parent, "errors", None), getattr(parent, "finally_", None))
    return any(tr.task_id in _branch_ids(tasks) for tasks in lists)


def check_restartable(execution: Execution) -> None:
    if execution.current not in RESTARTABLE:
        raise ConflictError(
            f"execution '{execution.id}' is {execution.current.value}: only a FAILED or "
            "KILLED execution can be restarted"
        )


def check_state_change(execution: Execution, task_run_id: str, state: State) -> None:
    """A user may set an ended TaskRun of an ended execution to SUCCESS, WARNING or FAILED."""
    if state not in (State.SUCCESS, State.WARNING, State.FAILED):
        raise ConflictError(f"a TaskRun can be set to SUCCESS, WARNING or FAILED, not {state}")
    if not execution.current.terminal:
        raise ConflictError(
            f"execution '{execution.id}' is {execution.current.value}: wait for it to end"
        )
    tr = next((t for t in execution.task_runs if t.id == task_run_id), None)
    if tr is None:
        raise NotFoundError(f"execution '{execution.id}' has no TaskRun '{task_run_id}'")
    if tr.current is state:
        raise ConflictError(f"TaskRun '{task_run_id}' is already {state.value}")


def plan_restart(view: ExecutionView) -> RestartPlan:
    """What a restart of the (ended) execution reruns and removes."""
    execution = view.execution
    plan = RestartPlan()
    rerun_ids: set[str] = set()
    for tr in execution.task_runs:  # creation order: parents before children
        parent = tr.parent_task_run_id
        if parent in plan.remove or _is_branch(view, tr):
            plan.remove.add(tr.id)
        elif tr.current in RERUN and (parent is None or parent in rerun_ids):
            rerun_ids.add(tr.id)
            plan.rerun.append(tr)
    return plan


def rerun_task_run(tr: TaskRun, task: TaskBase, now: datetime) -> bool:
    """Make a failed TaskRun run again; return whether it must be queued (a runnable task:
    its next attempt is ``len(tr.attempts) + 1``) rather than advanced (a flowable one)."""
    tr.state.transition(State.RESTARTED, now)
    tr.next_retry_date = None
    if isinstance(task, FlowableTask):
        for key in _FLOWABLE_RUN_KEYS:
            tr.extra.pop(key, None)
        tr.state.transition(State.RUNNING, now)
        return False
    tr.state.transition(State.CREATED, now)
    return True


def plan_replay(view: ExecutionView, task_run_id: str, now: datetime) -> Execution:
    """A new execution of the same flow revision and inputs that keeps what ran before the
    chosen TaskRun and runs it and everything after it again."""
    old = view.execution
    if not old.current.terminal:
        raise ConflictError(
            f"execution '{old.id}' is {old.current.value}: only an ended execution can be replayed"
        )
    order = {tr.id: i for i, tr in enumerate(old.task_runs)}
    if task_run_id not in order:
        raise NotFoundError(f"execution '{old.id}' has no TaskRun '{task_run_id}'")
    chosen = view.get(task_run_id)
    ancestors = {p.id for p in view.parents(chosen)}
    new_execution_id = new_id()
    ids: dict[str, str] = {}
    runs: list[TaskRun] = []
    for tr in old.task_runs[: order[task_run_id]]:
        parent = tr.parent_task_run_id
        if parent is not None and parent not in ids:
            continue  # under a TaskRun that is not kept
        if tr.id not in ancestors and (not tr.current.terminal or _is_branch(view, tr)):
            continue
        ids[tr.id] = new_id()
        copy = replace(
            tr,
            id=ids[tr.id],
            execution_id=new_execution_id,
            parent_task_run_id=ids[parent] if parent is not None else None,
            attempts=[Attempt(_copy_state(a.state), a.worker_id) for a in tr.attempts],
            extra=dict(tr.extra),
            state=_copy_state(tr.state),
        )
        if tr.id in ancestors:
            copy.state = StateRecord.start(State.RUNNING, now)
            copy.outputs = None
            for key in _FLOWABLE_RUN_KEYS:
                copy.extra.pop(key, None)
        runs.append(copy)
    return Execution(
        id=new_execution_id,
        tenant=old.tenant,
        namespace=old.namespace,
        flow_id=old.flow_id,
        flow_revision=old.flow_revision,
        state=StateRecord.start(State.CREATED, now),
        inputs=dict(old.inputs),
        labels=[dict(label) for label in old.labels],
        trigger=old.trigger,
        original_id=old.original_id or old.id,
        task_runs=runs,
        extra={k: v for k, v in old.extra.items() if k == "secretInputs"},
    )


def _copy_state(state: StateRecord) -> StateRecord:
    return replace(state, histories=list(state.histories))
