"""The variables an expression sees: ``flow``, ``execution``, ``inputs``, ``outputs``,
``taskrun``, ``parent``, ``parents``, ``vars``, ``labels``, ``trigger``, ``envs``, ``tasks``."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from headway.engine.view import ExecutionView
from headway.execution import TaskRun, iso


def _task_run_vars(tr: TaskRun, attempts_count: int | None = None) -> dict[str, Any]:
    out = {
        "id": tr.id,
        "value": tr.value,
        "iteration": tr.iteration,
        "parentId": tr.parent_task_run_id,
        "startDate": iso(tr.state.start_date),
        "attemptsCount": len(tr.attempts) if attempts_count is None else attempts_count,
    }
    if "items" in tr.extra:
        out["items"] = tr.extra["items"]  # a ForEachItem batch's file (``taskrun.items``)
    return out


def _task_states(task_runs: list[TaskRun]) -> dict[str, Any]:
    """``tasks.<id>.state``, and ``tasks.<id>[value].state`` for TaskRuns of a loop value, as
    Kestra builds it (a later TaskRun of the same task replaces an earlier one)."""
    out: dict[str, Any] = {}
    for tr in task_runs:
        state = {"state": tr.current.value}
        if tr.value is None:
            out[tr.task_id] = state
        else:
            out[tr.task_id] = {**out.get(tr.task_id, {}), tr.value: state}
    return out


class Variables(Mapping[str, Any]):
    """The variables of one render. Those that cost the size of the execution to build
    (``tasks``) are built only when an expression uses them."""

    def __init__(self, values: dict[str, Any], lazy: dict[str, Callable[[], Any]]) -> None:
        self._values = values
        self._lazy = lazy

    def __getitem__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            make = self._lazy.pop(name, None)
            if make is None:
                raise
            value = self._values[name] = make()
            return value

    def __iter__(self) -> Iterator[str]:
        yield from self._values
        yield from list(self._lazy)

    def __len__(self) -> int:
        return len(self._values) + len(self._lazy)


def variables(
    view: ExecutionView,
    task_run: TaskRun | None,
    envs: Mapping[str, str],
    *,
    attempt: int | None = None,
) -> Variables:
    """The expression context of a TaskRun (or of the execution when ``task_run`` is None).

    ``attempt`` is the attempt being run (1 for the first): ``taskrun.attemptsCount`` counts
    the attempts before it, as in Kestra (0 on the first try)."""
    ex = view.execution
    flow = view.flow
    ctx: dict[str, Any] = {
        "flow": {
            "id": flow.id,
            "namespace": flow.namespace,
            "revision": ex.flow_revision,
            "tenantId": ex.tenant,
        },
        "execution": {
            "id": ex.id,
            "startDate": iso(ex.state.start_date),
            "originalId": ex.original_id or ex.id,
            # afterExecution tasks see the state the execution ends in.
            "state": ex.extra.get("endState", ex.state.current.value),
        },
        "inputs": ex.inputs,
        "vars": flow.variables,
        "labels": {label["key"]: label["value"] for label in ex.labels},
        "outputs": view.outputs(),
        "envs": envs,
    }
    if ex.trigger is not None:
        ctx["trigger"] = ex.trigger.get("variables", ex.trigger)
    if ex.schedule_date is not None:
        ctx["execution"]["scheduleDate"] = iso(ex.schedule_date)
    if task_run is not None:
        task = view.task(task_run.task_id)
        ctx["task"] = {"id": task.id, "type": task.type}
        ctx["taskrun"] = _task_run_vars(task_run, None if attempt is None else attempt - 1)
        parents = view.parents(task_run)
        if parents:
            ctx["parents"] = [{"taskrun": _task_run_vars(p), "outputs": p.outputs} for p in parents]
            ctx["parent"] = ctx["parents"][0]
    return Variables(ctx, {"tasks": lambda: _task_states(ex.task_runs)})
