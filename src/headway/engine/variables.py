"""The variables an expression sees: ``flow``, ``execution``, ``inputs``, ``outputs``,
``taskrun``, ``parent``, ``parents``, ``vars``, ``labels``, ``trigger``, ``envs``, ``tasks``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from headway.engine.view import ExecutionView
from headway.execution import TaskRun, iso


def _task_run_vars(tr: TaskRun) -> dict[str, Any]:
    return {
        "id": tr.id,
        "value": tr.value,
        "iteration": tr.iteration,
        "parentId": tr.parent_task_run_id,
        "startDate": iso(tr.state.start_date),
        "attemptsCount": max(len(tr.attempts) - 1, 0),
    }


def variables(
    view: ExecutionView,
    task_run: TaskRun | None,
    envs: Mapping[str, str],
) -> dict[str, Any]:
    """The expression context of a TaskRun (or of the execution when ``task_run`` is None)."""
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
            "state": ex.state.current.value,
        },
        "inputs": ex.inputs,
        "vars": flow.variables,
        "labels": {label["key"]: label["value"] for label in ex.labels},
        "outputs": view.outputs(),
        "tasks": {
            tr.task_id: {"state": tr.current.value}
            for tr in ex.task_runs
            if tr.parent_task_run_id is None or tr.value is None
        },
        "envs": dict(envs),
    }
    if ex.trigger is not None:
        ctx["trigger"] = ex.trigger.get("variables", ex.trigger)
    if ex.schedule_date is not None:
        ctx["execution"]["scheduleDate"] = iso(ex.schedule_date)
    if task_run is not None:
        task = view.task(task_run.task_id)
        ctx["task"] = {"id": task.id, "type": task.type}
        ctx["taskrun"] = _task_run_vars(task_run)
        parents = view.parents(task_run)
        if parents:
            ctx["parents"] = [{"taskrun": _task_run_vars(p), "outputs": p.outputs} for p in parents]
            ctx["parent"] = ctx["parents"][0]
    return ctx
