"""Trigger state, the outbox of ended executions for Flow triggers, and named leases."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from headway.execution import utcnow
from headway.store.base import Backfill, Batch, TriggerState
from headway.store.postgres import batch as batches
from headway.store.postgres import rows
from headway.store.postgres.connection import Conn

_COLUMNS = (
    "tenant, namespace, flow_id, trigger_id, next_date, last_date, disabled, execution_id, "
    "locked_until, backfill, data, updated"
)
GET = f"""SELECT {_COLUMNS} FROM triggers
WHERE tenant = %s AND namespace = %s AND flow_id = %s AND trigger_id = %s"""
# A namespace and those below it: the namespace itself or a range of bytes (collation "C").
LIST = f"""SELECT {_COLUMNS} FROM triggers
WHERE tenant = %(tenant)s
  AND (%(ns)s::text IS NULL OR namespace = %(ns)s
       OR (namespace >= %(ns)s || '.' AND namespace < %(ns)s || '/'))
  AND (%(flow)s::text IS NULL OR flow_id = %(flow)s)
ORDER BY namespace, flow_id, trigger_id"""
UPSERT = f"""INSERT INTO triggers ({_COLUMNS})
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (tenant, namespace, flow_id, trigger_id) DO UPDATE SET
    next_date = excluded.next_date, last_date = excluded.last_date,
    disabled = excluded.disabled, execution_id = excluded.execution_id,
    locked_until = excluded.locked_until, backfill = excluded.backfill, data = excluded.data,
    updated = excluded.updated"""
DELETE_FLOW = """DELETE FROM triggers
WHERE tenant = %s AND namespace = %s AND flow_id = %s AND NOT (trigger_id = ANY(%s))"""
RECORD_ENDED = """INSERT INTO ended_executions (tenant, execution_id, created) VALUES (%s, %s, %s)
ON CONFLICT (execution_id) DO NOTHING"""
ENDED = "SELECT execution_id FROM ended_executions ORDER BY seq LIMIT %s"
ACK_ENDED = "DELETE FROM ended_executions WHERE execution_id = %s"
TAKE_LEASE = """INSERT INTO leases (tenant, name, holder, until) VALUES ('main', %s, %s, %s)
ON CONFLICT (tenant, name) DO UPDATE SET holder = excluded.holder, until = excluded.until
WHERE leases.holder = excluded.holder OR leases.until <= %s"""


def _backfill_json(backfill: Backfill | None) -> str | None:
    if backfill is None:
        return None
    data = {
        "start": rows.iso_ts(backfill.start),
        "end": None if backfill.end is None else rows.iso_ts(backfill.end),
        "currentDate": rows.iso_ts(backfill.current_date),
        "inputs": backfill.inputs,
        "labels": backfill.labels,
        "paused": backfill.paused,
    }
    return rows.dumps(data, "a backfill")


def _backfill(data: dict[str, Any] | None) -> Backfill | None:
    if data is None:
        return None
    end = data.get("end")
    return Backfill(
        start=rows.from_iso(data["start"]),
        current_date=rows.from_iso(data["currentDate"]),
        end=None if end is None else rows.from_iso(end),
        inputs=data.get("inputs") or {},
        labels=data.get("labels") or {},
        paused=bool(data.get("paused")),
    )


def _params(state: TriggerState, now: datetime) -> tuple[object, ...]:
    what = f"the state of trigger {state.namespace}.{state.flow_id}.{state.trigger_id}"
    return (
        state.tenant,
        state.namespace,
        state.flow_id,
        state.trigger_id,
        rows.opt_ts(state.next_date),
        rows.opt_ts(state.last_date),
        state.disabled,
        state.execution_id,
        rows.opt_ts(state.locked_until),
        _backfill_json(state.backfill),
        rows.dumps(state.data, what),
        now,
    )


def _state(row: tuple[Any, ...]) -> TriggerState:
    (tenant, namespace, flow_id, trigger_id, next_date, last_date, disabled, execution_id,
     locked_until, backfill, data, updated) = row  # fmt: skip
    return TriggerState(
        tenant=tenant,
        namespace=namespace,
        flow_id=flow_id,
        trigger_id=trigger_id,
        next_date=next_date,
        last_date=last_date,
        disabled=bool(disabled),
        execution_id=execution_id,
        locked_until=locked_until,
        backfill=_backfill(backfill),
        data=data,
        updated=updated,
    )


async def get_trigger(
    conn: Conn, tenant: str, namespace: str, flow_id: str, trigger_id: str
) -> TriggerState | None:
    cursor = await conn.execute(GET, (tenant, namespace, flow_id, trigger_id))
    row = await cursor.fetchone()
    return None if row is None else _state(row)


async def list_triggers(
    conn: Conn, tenant: str, namespace: str | None, flow_id: str | None
) -> list[TriggerState]:
    cursor = await conn.execute(LIST, {"tenant": tenant, "ns": namespace, "flow": flow_id})
    return [_state(row) for row in await cursor.fetchall()]


async def save_triggers(conn: Conn, states: list[TriggerState]) -> None:
    now = utcnow()
    params = [_params(s, now) for s in states]
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(UPSERT, params)


async def delete_triggers(
    conn: Conn, tenant: str, namespace: str, flow_id: str, keep: list[str] | None
) -> int:
    cursor = await conn.execute(DELETE_FLOW, (tenant, namespace, flow_id, list(keep or [])))
    return cursor.rowcount


async def commit_triggered(
    conn: Conn, batch: Batch, states: list[TriggerState], ended_done: list[str], origin: str
) -> None:
    now = utcnow()
    steps = batches.prepare(batch, origin)
    steps.append((UPSERT, [_params(s, now) for s in states]))
    steps.append((ACK_ENDED, [(execution_id,) for execution_id in ended_done]))
    await batches.run(conn, steps)


async def record_ended(conn: Conn, tenant: str, execution_ids: list[str]) -> None:
    now = utcnow()
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(RECORD_ENDED, [(tenant, i, now) for i in execution_ids])


async def ended_executions(conn: Conn, limit: int) -> list[str]:
    return [row[0] for row in await (await conn.execute(ENDED, (limit,))).fetchall()]


async def acquire_lease(conn: Conn, name: str, holder: str, now: datetime, until: datetime) -> bool:
    cursor = await conn.execute(TAKE_LEASE, (name, holder, rows.ts(until), rows.ts(now)))
    return cursor.rowcount > 0
