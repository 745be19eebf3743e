"""Trigger state, the outbox of ended executions for Flow triggers, and named leases."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from headway.execution import utcnow
from headway.store.base import Backfill, Batch, TriggerState
from headway.store.sqlite import batch as batches
from headway.store.sqlite import owners, rows
from headway.store.sqlite.connection import transaction

_COLUMNS = (
    "tenant, namespace, flow_id, trigger_id, next_date, last_date, disabled, execution_id, "
    "locked_until, backfill, data, updated"
)
GET = f"""SELECT {_COLUMNS} FROM triggers
WHERE tenant = ? AND namespace = ? AND flow_id = ? AND trigger_id = ?"""
LIST = f"""SELECT {_COLUMNS} FROM triggers
WHERE tenant = ? AND (? IS NULL OR namespace = ? OR namespace LIKE ? ESCAPE '\\')
  AND (? IS NULL OR flow_id = ?)
ORDER BY namespace, flow_id, trigger_id"""
UPSERT = f"""INSERT INTO triggers ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant, namespace, flow_id, trigger_id) DO UPDATE SET
    next_date = excluded.next_date, last_date = excluded.last_date,
    disabled = excluded.disabled, execution_id = excluded.execution_id,
    locked_until = excluded.locked_until, backfill = excluded.backfill, data = excluded.data,
    updated = excluded.updated"""
DELETE_FLOW = "DELETE FROM triggers WHERE tenant = ? AND namespace = ? AND flow_id = ?"
RECORD_ENDED = """INSERT INTO ended_executions (tenant, execution_id, created) VALUES (?, ?, ?)
ON CONFLICT (execution_id) DO NOTHING"""
ENDED = "SELECT execution_id FROM ended_executions ORDER BY seq LIMIT ?"
ACK_ENDED = "DELETE FROM ended_executions WHERE execution_id = ?"
TAKE_LEASE = """INSERT INTO leases (tenant, name, holder, until) VALUES ('main', ?, ?, ?)
ON CONFLICT (tenant, name) DO UPDATE SET holder = excluded.holder, until = excluded.until
WHERE leases.holder = excluded.holder OR leases.until <= ?"""


def _backfill_json(backfill: Backfill | None) -> str | None:
    if backfill is None:
        return None
    data = {
        "start": rows.ts(backfill.start),
        "end": rows.opt_ts(backfill.end),
        "currentDate": rows.ts(backfill.current_date),
        "inputs": backfill.inputs,
        "labels": backfill.labels,
        "paused": backfill.paused,
    }
    return rows.dumps(data, "a backfill")


def _backfill(text: str | None) -> Backfill | None:
    if text is None:
        return None
    data: dict[str, Any] = json.loads(text)
    return Backfill(
        start=rows.from_ts(data["start"]),
        current_date=rows.from_ts(data["currentDate"]),
        end=rows.opt_from_ts(data.get("end")),
        inputs=data.get("inputs") or {},
        labels=data.get("labels") or {},
        paused=bool(data.get("paused")),
    )


def _params(state: TriggerState, now: str) -> tuple[object, ...]:
    what = f"the state of trigger {state.namespace}.{state.flow_id}.{state.trigger_id}"
    return (
        state.tenant,
        state.namespace,
        state.flow_id,
        state.trigger_id,
        rows.opt_ts(state.next_date),
        rows.opt_ts(state.last_date),
        int(state.disabled),
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
        next_date=rows.opt_from_ts(next_date),
        last_date=rows.opt_from_ts(last_date),
        disabled=bool(disabled),
        execution_id=execution_id,
        locked_until=rows.opt_from_ts(locked_until),
        backfill=_backfill(backfill),
        data=json.loads(data),
        updated=rows.from_ts(updated),
    )


def get_trigger(
    conn: sqlite3.Connection, tenant: str, namespace: str, flow_id: str, trigger_id: str
) -> TriggerState | None:
    row = conn.execute(GET, (tenant, namespace, flow_id, trigger_id)).fetchone()
    return None if row is None else _state(row)


def list_triggers(
    conn: sqlite3.Connection, tenant: str, namespace: str | None, flow_id: str | None
) -> list[TriggerState]:
    like = None if namespace is None else _escape(namespace) + ".%"
    params = (tenant, namespace, namespace, like, flow_id, flow_id)
    return [_state(row) for row in conn.execute(LIST, params)]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def save_triggers(conn: sqlite3.Connection, states: list[TriggerState]) -> None:
    now = rows.ts(utcnow())
    params = [_params(s, now) for s in states]
    with transaction(conn):
        conn.executemany(UPSERT, params)


def delete_triggers(
    conn: sqlite3.Connection, tenant: str, namespace: str, flow_id: str, keep: list[str] | None
) -> int:
    kept = list(keep or [])
    marks = ", ".join("?" for _ in kept)
    sql = DELETE_FLOW + (f" AND trigger_id NOT IN ({marks})" if kept else "")
    with transaction(conn):
        return conn.execute(sql, (tenant, namespace, flow_id, *kept)).rowcount


def commit_triggered(
    conn: sqlite3.Connection, batch: Batch, states: list[TriggerState], ended_done: list[str]
) -> None:
    now = rows.ts(utcnow())
    steps = batches.prepare(batch)
    state_params = [_params(s, now) for s in states]
    with transaction(conn):
        if batch.fence is not None:
            owners.check(conn, batch.fence)
        batches.apply(conn, steps)
        conn.executemany(UPSERT, state_params)
        conn.executemany(ACK_ENDED, [(execution_id,) for execution_id in ended_done])


def record_ended(conn: sqlite3.Connection, tenant: str, execution_ids: list[str]) -> None:
    now = rows.ts(utcnow())
    with transaction(conn):
        conn.executemany(RECORD_ENDED, [(tenant, i, now) for i in execution_ids])


def ended_executions(conn: sqlite3.Connection, limit: int) -> list[str]:
    return [row[0] for row in conn.execute(ENDED, (limit,))]


def acquire_lease(
    conn: sqlite3.Connection, name: str, holder: str, now: datetime, until: datetime
) -> bool:
    with transaction(conn):
        cursor = conn.execute(TAKE_LEASE, (name, holder, rows.ts(until), rows.ts(now)))
        return cursor.rowcount > 0
