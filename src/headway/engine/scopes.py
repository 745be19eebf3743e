"""How lists of tasks advance: one after another (with errors and finally), or at once.

These are the building blocks that flowable tasks and the flow itself use through
:class:`headway.plugins.base.FlowableContext`.
"""

from __future__ import annotations

from dataclasses import dataclass

from headway.engine.view import ExecutionView, Scope
from headway.execution import TaskRun
from headway.flows.tasks import TaskBase
from headway.plugins.base import Advance, Child
from headway.state import State, worst


@dataclass
class _ListStatus:
    create: Child | None = None
    waiting: bool = False
    failed: State | None = None  # FAILED or KILLED: the list stopped on a failure
    states: list[State] | None = None  # every task done: their effective states


def effective_state(tr: TaskRun) -> State:
    """A finished TaskRun's state as its parent counts it (a SKIPPED one as SUCCESS;
    ``allowFailure`` and ``allowWarning`` are already applied to the TaskRun's own state)."""
    return State.SUCCESS if tr.current is State.SKIPPED else tr.current


def _run_list(
    view: ExecutionView,
    tasks: list[TaskBase],
    scope_key: Scope,
    value: str | None,
    iteration: int | None,
) -> _ListStatus:
    """Where a list of tasks run one after another stands.

    Tasks that ended well never change again (until a restart), so the scan resumes after
    the last of them (``view.cursors``): a long flow costs O(1) per step, not O(tasks).
    """
    scope = view.scope(*scope_key)
    key = (id(tasks), scope_key)
    start, done = view.cursors.get(key, (0, []))
    states: list[State] = list(done)
    for index in range(start, len(tasks)):
        task = tasks[index]
        if task.disabled:
            continue
        tr = scope.get(task.id)
        if tr is None:
            view.cursors[key] = (index, states)
            return _ListStatus(create=Child(task, value, iteration))
        if not tr.current.terminal or tr.current is State.RETRIED:
            view.cursors[key] = (index, states)
            return _ListStatus(waiting=True)
        state = effective_state(tr)
        if state in (State.FAILED, State.KILLED, State.CANCELLED):
            view.cursors[key] = (index, states)
            return _ListStatus(failed=State.KILLED if state is State.KILLED else State.FAILED)
        states.append(state)
    view.cursors[key] = (len(tasks), states)
    return _ListStatus(states=list(states))


def sequential(
    view: ExecutionView,
    parent_id: str | None,
    tasks: list[TaskBase],
    *,
    value: str | None = None,
    iteration: int | None = None,
    errors: list[TaskBase] | None = None,
    finally_: list[TaskBase] | None = None,
) -> Advance:
    """Tasks one after another; on a failure the ``errors`` tasks, then ``finally`` always.

    The end state is FAILED (or KILLED) when a task failed, even if the errors tasks
    succeeded, as in Kestra; otherwise the worst of the tasks' effective states.
    """
    scope = (parent_id, value, iteration)
    main = _run_list(view, tasks, scope, value, iteration)
    if main.create or main.waiting:
        return Advance(create=[main.create] if main.create else [])
    end: State
    if main.failed is not None:
        end = main.failed
        if errors and end is not State.KILLED:
            handled = _run_list(view, errors, scope, value, iteration)
            if handled.create or handled.waiting:
                return Advance(create=[handled.create] if handled.create else [])
    else:
        end = worst(main.states or [])
    if finally_:
        fin = _run_list(view, finally_, scope, value, iteration)
        if fin.create or fin.waiting:
            return Advance(create=[fin.create] if fin.create else [])
        if fin.failed is not None and end is not State.KILLED:
            end = State.FAILED
        elif fin.states and end is State.SUCCESS:
            end = worst([end, *fin.states])
    return Advance(done=end)


def parallel(
    view: ExecutionView,
    parent_id: str | None,
    tasks: list[TaskBase],
    *,
    value: str | None = None,
    iteration: int | None = None,
    concurrent: int = 0,
) -> Advance:
    """Tasks at once, at most ``concurrent`` running (0: no limit). After a failure no new
    task starts; the end state is the worst of the tasks'."""
    scope = view.scope(parent_id, value, iteration)
    running = 0
    failed = False
    pending: list[TaskBase] = []
    states: list[State] = []
    for task in tasks:
        if task.disabled:
            continue
        tr = scope.get(task.id)
        if tr is None:
            pending.append(task)
        elif not tr.current.terminal:
            running += 1
        else:
            state = effective_state(tr)
            failed = failed or state.failed
            states.append(state)
    create: list[Child] = []
    if not failed:
        room = len(pending) if concurrent <= 0 else max(concurrent - running, 0)
        create = [Child(t, value, iteration) for t in pending[:room]]
    if running or create or (pending and not failed):
        return Advance(create=create)
    return Advance(done=worst(states))
