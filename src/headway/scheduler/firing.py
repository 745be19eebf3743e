"""Turning a trigger's firing into an execution: its inputs rendered with the trigger's
variables, its labels, Kestra's ``trigger`` object (``id``, ``type``, ``variables``).

A trigger whose execution cannot be created (invalid inputs, an expression that fails, a
disabled flow) creates a FAILED execution instead, whose log says why."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from headway.engine.evaluation import EngineEnv
from headway.engine.executor import Executor
from headway.engine.rendering import Renderer
from headway.errors import HeadwayError
from headway.execution import Execution, LogEntry, StateRecord, iso, new_id, utcnow
from headway.flows.model import Flow
from headway.state import State
from headway.store.base import Batch
from headway.triggers.model import TriggerBase


@dataclass
class Firing:
    """One execution to create for a trigger."""

    flow: Flow
    revision: int
    trigger: TriggerBase
    variables: dict[str, Any]
    tenant: str = "main"
    schedule_date: datetime | None = None
    # Labels added to the flow's and the trigger's (a backfill's).
    labels: dict[str, str] = field(default_factory=dict)
    # Inputs given instead of the trigger's (a backfill's), merged over them.
    inputs: dict[str, Any] = field(default_factory=dict)


def renderer(env: EngineEnv, flow: Flow, tenant: str, variables: Mapping[str, Any]) -> Renderer:
    """Renders a trigger's properties: ``trigger``, ``flow``, ``vars``, ``envs``."""
    context = {
        "trigger": variables,
        "flow": {"id": flow.id, "namespace": flow.namespace, "tenantId": tenant},
        "vars": flow.variables,
        "envs": env.envs,
    }
    return Renderer(context, secrets=env.secrets, bridge=env.bridge, tenant=tenant)


def trigger_json(trigger: TriggerBase, variables: dict[str, Any]) -> dict[str, Any]:
    return {"id": trigger.id, "type": trigger.type, "variables": variables}


async def build(executor: Executor, env: EngineEnv, firing: Firing) -> tuple[Batch, Execution]:
    """The batch that creates the firing's execution: CREATED, or FAILED saying why."""
    flow, trig = firing.flow, firing.trigger
    labels = {**trig.labels, **firing.labels}
    try:
        render = renderer(env, flow, firing.tenant, firing.variables)
        inputs = await render.render_async({**trig.inputs, **firing.inputs})
        batch, execution = executor.new_execution(
            flow,
            firing.revision,
            inputs,
            labels=labels,
            trigger=trigger_json(trig, firing.variables),
            tenant=firing.tenant,
        )
    except HeadwayError as exc:
        return failed(firing, labels, exc.message)
    execution.schedule_date = firing.schedule_date
    return batch, execution


def failed(firing: Firing, labels: dict[str, str], reason: str) -> tuple[Batch, Execution]:
    """A FAILED execution of the firing's flow, its log saying why it could not start."""
    flow, now = firing.flow, utcnow()
    state = StateRecord.start(State.CREATED, now)
    state.transition(State.FAILED, now)
    execution = Execution(
        id=new_id(),
        tenant=firing.tenant,
        namespace=flow.namespace,
        flow_id=flow.id,
        flow_revision=firing.revision,
        state=state,
        labels=[{"key": k, "value": v} for k, v in {**flow.labels, **labels}.items()],
        trigger=trigger_json(firing.trigger, firing.variables),
        schedule_date=firing.schedule_date,
    )
    message = f"trigger '{firing.trigger.id}' could not create the execution: {reason}"
    execution.extra["error"] = message
    entry = LogEntry(
        execution.id,
        "ERROR",
        message,
        now,
        namespace=flow.namespace,
        flow_id=flow.id,
        tenant=firing.tenant,
    )
    return Batch(executions=[execution], logs=[entry]), execution


def schedule_variables(
    date: datetime, next_date: datetime | None, previous: datetime | None
) -> dict[str, Any]:
    """``trigger.date``, ``trigger.next``, ``trigger.previous`` of a schedule (ISO text in
    the schedule's time zone)."""
    out: dict[str, Any] = {"date": iso_local(date)}
    if next_date is not None:
        out["next"] = iso_local(next_date)
    if previous is not None:
        out["previous"] = iso_local(previous)
    return out


def iso_local(moment: datetime) -> str:
    """ISO-8601 with the moment's own offset (Kestra's ZonedDateTime), UTC as Z."""
    offset = moment.utcoffset()
    if offset is not None and not offset:
        return iso(moment)
    return moment.isoformat()


def merge_batches(batches: list[Batch]) -> Batch:
    out = Batch()
    for b in batches:
        out.executions += b.executions
        out.events += b.events
        out.logs += b.logs
    return out


def notify(executor: Executor, batch: Batch) -> None:
    """Tell the executor's listeners (the engine: the executor's inbox, API followers) of a
    batch committed outside the executor."""
    for listener in executor.listeners:
        listener(batch)
    if batch.events:
        executor.inbox_changed()
