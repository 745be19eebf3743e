"""Flow triggers: when an execution ends, every Flow trigger of the tenant is evaluated
against it (``states``, ``conditions``, MultipleCondition windows, ``preconditions``).

Durable: the executor records each ended execution (``Store.record_ended``) before it
commits the end; the scheduler acknowledges it in the transaction that creates what it
triggered. A crash in between evaluates it again."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from headway.execution import Execution
from headway.scheduler.evaluate import TERMINAL_STATES, context, facts, holds
from headway.scheduler.evaluate import simple_conditions_hold as simple_hold
from headway.scheduler.firing import Firing
from headway.scheduler.index import Entry
from headway.store.base import TriggerState
from headway.triggers.conditions import ConditionContext, simple_and_windows
from headway.triggers.model import FlowTrigger
from headway.triggers.windows import record

PRECONDITIONS = "preconditions"


def variables(execution: Execution) -> dict[str, Any]:
    """``trigger.*`` of an execution started by a Flow trigger."""
    return {
        "executionId": execution.id,
        "namespace": execution.namespace,
        "flowId": execution.flow_id,
        "flowRevision": execution.flow_revision,
        "state": execution.current.value,
        "executionLabels": {label["key"]: label["value"] for label in execution.labels},
        "outputs": dict(execution.outputs or {}),
    }


def windows_met(
    trigger: FlowTrigger, state: TriggerState, ctx: ConditionContext, now: datetime, where: str
) -> bool:
    """Record what this execution meets in the trigger's windows (in ``state.data``); whether
    every window is complete."""
    assert ctx.execution is not None
    stored: dict[str, Any] = dict(state.data.get("windows") or {})
    complete = True
    _, multiples = simple_and_windows(trigger.conditions)
    for multiple in multiples:
        names = list(multiple.conditions)
        met = [n for n, c in multiple.conditions.items() if holds(c, ctx, where)]
        done, stored[multiple.id] = record(
            stored.get(multiple.id),
            multiple.effective_window(),
            names,
            met,
            now,
            reset_on_success=multiple.reset_on_success,
        )
        complete = complete and done
    pre = trigger.preconditions
    if pre is not None:
        done, stored[PRECONDITIONS] = record(
            stored.get(PRECONDITIONS),
            pre.time_window,
            pre.names(),
            pre.met_by(ctx.execution, ctx),
            now,
            reset_on_success=pre.reset_on_success,
        )
        complete = complete and done
    if multiples or pre is not None:
        state.data = {**state.data, "windows": stored}
    return complete


def firings(
    scheduler_env: Any,
    entries: list[tuple[Entry, FlowTrigger]],
    states: dict[tuple[str, str, str, str], TriggerState],
    execution: Execution,
    now: datetime,
) -> tuple[list[Firing], list[TriggerState]]:
    """What the ended ``execution`` fires, and the trigger states that changed."""
    out: list[Firing] = []
    changed: list[TriggerState] = []
    ex_facts = facts(execution)
    trigger_vars = variables(execution)
    for entry, trigger in entries:
        flow = entry.flow
        if (flow.namespace, flow.id) == (execution.namespace, execution.flow_id):
            continue  # a flow does not trigger itself
        key = (execution.tenant, flow.namespace, flow.id, trigger.id)
        state = states.get(key) or TriggerState(*key)
        if trigger.disabled or flow.disabled or state.disabled:
            continue
        if execution.current not in (trigger.states or TERMINAL_STATES):
            continue
        where = f"trigger {flow.namespace}.{flow.id}.{trigger.id}"
        ctx = context(scheduler_env, flow, execution.tenant, trigger_vars, now, ex_facts)
        if not simple_hold(trigger, ctx, where):
            continue
        before = dict(state.data)
        complete = windows_met(trigger, state, ctx, now, where)
        if state.data != before:
            states[key] = state
            changed.append(state)
        if complete:
            out.append(Firing(flow, entry.revision, trigger, trigger_vars, tenant=execution.tenant))
    return out, changed
