"""What users do to triggers through the API: list them with their state, enable and
disable, unlock (forget the execution a trigger waits for), and backfills of schedules
(create, pause, resume, delete)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from headway.engine.flows import FlowRepository
from headway.errors import ConflictError, HeadwayError, NotFoundError
from headway.execution import iso
from headway.flows.model import Flow
from headway.scheduler.schedules import after
from headway.store.base import Backfill, Store, TriggerState
from headway.triggers.model import Schedule, ScheduleOnDates, TriggerBase

JSON = dict[str, Any]


async def find(
    store: Store, flows: FlowRepository, namespace: str, flow_id: str, trigger_id: str
) -> tuple[Flow, TriggerBase, TriggerState]:
    """The trigger's definition (latest revision of its flow) and its state (a new one if
    the scheduler has not seen it yet); NotFoundError naming what is missing."""
    record = await store.get_flow(flows.tenant, namespace, flow_id)
    if record is None or record.deleted:
        raise NotFoundError(f"flow '{namespace}.{flow_id}' not found")
    flow = await flows.revision(namespace, flow_id, record.revision)
    trigger = next((t for t in flow.triggers if t.id == trigger_id), None)
    if trigger is None:
        raise NotFoundError(f"flow '{namespace}.{flow_id}' has no trigger '{trigger_id}'")
    key = (flows.tenant, namespace, flow_id, trigger_id)
    state = await store.get_trigger(*key) or TriggerState(*key)
    return flow, trigger, state


def state_json(state: TriggerState) -> JSON:
    """Kestra's trigger context: ids, dates, disabled, running execution, backfill."""
    backfill = state.backfill
    return {
        "tenantId": state.tenant,
        "namespace": state.namespace,
        "flowId": state.flow_id,
        "triggerId": state.trigger_id,
        "date": iso(state.last_date) if state.last_date else None,
        "nextExecutionDate": iso(state.next_date) if state.next_date else None,
        "disabled": state.disabled,
        "executionId": state.execution_id,
        "evaluateRunningDate": iso(state.locked_until) if state.locked_until else None,
        "updatedDate": iso(state.updated) if state.updated else None,
        "backfill": None
        if backfill is None
        else {
            "start": iso(backfill.start),
            "end": iso(backfill.end) if backfill.end else None,
            "currentDate": iso(backfill.current_date),
            "inputs": backfill.inputs,
            "labels": [{"key": k, "value": v} for k, v in backfill.labels.items()],
            "paused": backfill.paused,
        },
    }


def trigger_json(trigger: TriggerBase) -> JSON:
    return trigger.model_dump(mode="json", by_alias=True, exclude_none=True, serialize_as_any=True)


async def search(
    store: Store, flows: FlowRepository, namespace: str | None = None, flow_id: str | None = None
) -> list[JSON]:
    """Every trigger of the tenant's flows (``namespace`` a prefix), with its state."""
    states = {s.key: s for s in await store.list_triggers(flows.tenant, namespace, flow_id)}
    out: list[JSON] = []
    for record in await store.list_flows(flows.tenant):
        if namespace and not (
            record.namespace == namespace or record.namespace.startswith(namespace + ".")
        ):
            continue
        if flow_id and record.id != flow_id:
            continue
        try:
            flow = await flows.revision(record.namespace, record.id, record.revision)
        except HeadwayError:
            continue
        for trigger in flow.triggers:
            key = (flows.tenant, flow.namespace, flow.id, trigger.id)
            state = states.get(key) or TriggerState(*key)
            out.append(
                {"abstractTrigger": trigger_json(trigger), "triggerContext": state_json(state)}
            )
    return out


async def set_disabled(
    store: Store,
    flows: FlowRepository,
    namespace: str,
    flow_id: str,
    trigger_id: str,
    disabled: bool,
) -> TriggerState:
    _, _, state = await find(store, flows, namespace, flow_id, trigger_id)
    if state.disabled and not disabled:
        # Enabled again: a schedule starts from now, without the dates it was disabled for.
        state.data = {k: v for k, v in state.data.items() if k != "definition"}
    state.disabled = disabled
    await store.save_triggers([state])
    return state


class StoreTriggerSwitch:
    """The Toggle task's way to triggers: :func:`set_disabled` on the store."""

    def __init__(self, store: Store, flows: FlowRepository) -> None:
        self.store = store
        self.flows = flows

    async def set_disabled(
        self, namespace: str, flow_id: str, trigger_id: str, disabled: bool
    ) -> None:
        await set_disabled(self.store, self.flows, namespace, flow_id, trigger_id, disabled)


async def unlock(
    store: Store, flows: FlowRepository, namespace: str, flow_id: str, trigger_id: str
) -> TriggerState:
    """Forget the execution the trigger waits for and any evaluation in progress."""
    _, _, state = await find(store, flows, namespace, flow_id, trigger_id)
    state.execution_id = None
    state.locked_until = None
    await store.save_triggers([state])
    return state


# The most executions one backfill may create.
MAX_BACKFILL_DATES = 10_000


async def start_backfill(
    store: Store,
    flows: FlowRepository,
    namespace: str,
    flow_id: str,
    trigger_id: str,
    *,
    start: datetime,
    end: datetime | None = None,
    inputs: dict[str, Any] | None = None,
    labels: dict[str, str] | None = None,
    now: datetime,
) -> TriggerState:
    """Executions for each date of the schedule from ``start`` to ``end`` (default: now),
    created by the scheduler a few at a time."""
    _, trigger, state = await find(store, flows, namespace, flow_id, trigger_id)
    if not isinstance(trigger, Schedule | ScheduleOnDates):
        raise HeadwayError(
            f"trigger '{trigger_id}' is a {trigger.type}: only schedules can be backfilled"
        )
    if state.backfill is not None:
        raise ConflictError(
            f"trigger '{trigger_id}' already has a backfill (from {iso(state.backfill.start)}); "
            "delete it first"
        )
    if end is not None and end <= start:
        raise HeadwayError("the end of a backfill must be after its start")
    if start > now:
        raise HeadwayError("the start of a backfill must be in the past")
    if end is not None and end > now:
        raise HeadwayError("the end of a backfill must not be in the future")
    first = after(trigger, start - timedelta(microseconds=1))
    if first is None or first > (end or now):
        raise HeadwayError("the schedule has no date between the backfill's start and end")
    date: datetime | None = first
    for _ in range(MAX_BACKFILL_DATES):
        date = after(trigger, date) if date is not None else None
        if date is None or date > (end or now):
            break
    else:
        raise HeadwayError(
            f"the backfill would create more than {MAX_BACKFILL_DATES} executions: "
            "choose a shorter range"
        )
    state.backfill = Backfill(
        start=start,
        current_date=first,
        end=end,
        inputs=dict(inputs or {}),
        labels=dict(labels or {}),
    )
    await store.save_triggers([state])
    return state


async def pause_backfill(
    store: Store, flows: FlowRepository, namespace: str, flow_id: str, trigger_id: str, paused: bool
) -> TriggerState:
    _, _, state = await find(store, flows, namespace, flow_id, trigger_id)
    if state.backfill is None:
        raise NotFoundError(f"trigger '{trigger_id}' has no backfill")
    state.backfill.paused = paused
    await store.save_triggers([state])
    return state


async def delete_backfill(
    store: Store, flows: FlowRepository, namespace: str, flow_id: str, trigger_id: str
) -> TriggerState:
    _, _, state = await find(store, flows, namespace, flow_id, trigger_id)
    if state.backfill is None:
        raise NotFoundError(f"trigger '{trigger_id}' has no backfill")
    state.backfill = None
    await store.save_triggers([state])
    return state
