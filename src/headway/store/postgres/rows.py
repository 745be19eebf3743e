"""Conversions between Headway's records and PostgreSQL rows.

Datetimes go to timestamptz columns as aware datetimes (a naive one is taken to be UTC) and
come back in UTC (sessions run with TimeZone=UTC). JSON documents are sent as text that we
encode ourselves (so that a value that is not JSON is a StoreError naming it) and read back
by psycopg's JSON loaders (already parsed when a row arrives).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from headway.errors import StoreError
from headway.execution import Execution, LogEntry, TaskRun, iso, parse_iso
from headway.store.base import Event, FlowRecord, KVEntry, QueuedTaskRun, Timer

JSON = dict[str, Any]
Row = tuple[Any, ...]


def columns(
    params: Iterable[tuple[object, ...]], *, unique: bool = True
) -> list[tuple[object, ...]]:
    """Rows as one parameter tuple of columns (the arrays a statement unnests), or none. A
    row of an id (the first column) given again replaces the earlier one in its place, as
    one upsert after the other would (one statement cannot upsert a row twice)."""
    table: list[tuple[object, ...]] = (
        list({row[0]: row for row in params}.values()) if unique else list(params)
    )
    if not table:
        return []
    return [tuple(list(column) for column in zip(*table, strict=True))]


def ts(dt: datetime) -> datetime:
    return dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)


def opt_ts(dt: datetime | None) -> datetime | None:
    return None if dt is None else ts(dt)


def dumps(value: Any, what: str) -> str:
    """JSON text of ``value``; a value that is not JSON is a StoreError naming ``what``."""
    try:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"cannot store {what}: {exc}") from exc


def text(value: str) -> str:
    """PostgreSQL text cannot hold NUL characters: they become U+FFFD (in log lines)."""
    return value.replace("\x00", "\ufffd") if "\x00" in value else value


# --- flows -----------------------------------------------------------------------------------
def flow_record(row: Row) -> FlowRecord:
    tenant, namespace, flow_id, revision, source, deleted, updated = row
    return FlowRecord(tenant, namespace, flow_id, revision, source, bool(deleted), updated)


# --- executions ------------------------------------------------------------------------------
def execution_params(execution: Execution, now: datetime) -> tuple[object, ...]:
    state = execution.state
    return (
        execution.id,
        execution.tenant,
        execution.namespace,
        execution.flow_id,
        execution.flow_revision,
        state.current.value,
        ts(state.start_date),
        opt_ts(state.end_date),
        dumps(execution.labels, f"the labels of execution {execution.id}"),
        dumps(execution.to_store(), f"execution {execution.id}"),
        now,
    )


def execution(row: Row, task_runs: list[TaskRun]) -> Execution:
    exec_id, tenant, namespace, flow_id, flow_revision, data = row
    return Execution.from_store(
        id=exec_id,
        tenant=tenant,
        namespace=namespace,
        flow_id=flow_id,
        flow_revision=flow_revision,
        data=data,
        task_runs=task_runs,
    )


def task_run_params(task_run: TaskRun) -> tuple[object, ...]:
    return (
        task_run.id,
        task_run.execution_id,
        task_run.task_id,
        task_run.parent_task_run_id,
        task_run.value,
        task_run.iteration,
        task_run.state.current.value,
        dumps(task_run.to_store(), f"TaskRun {task_run.id}"),
    )


def task_run(row: Row) -> TaskRun:
    tr_id, execution_id, task_id, parent_task_run_id, value, iteration, data = row
    return TaskRun.from_store(
        id=tr_id,
        execution_id=execution_id,
        task_id=task_id,
        parent_task_run_id=parent_task_run_id,
        value=value,
        iteration=iteration,
        data=data,
    )


# --- queue, events, timers -------------------------------------------------------------------
def queued_params(queued: QueuedTaskRun) -> tuple[object, ...]:
    return (
        queued.task_run_id,
        queued.execution_id,
        queued.attempt,
        ts(queued.ready_at),
        queued.worker_id,
        opt_ts(queued.lease_until),
        queued.worker_group,
    )


def queued(row: Row) -> QueuedTaskRun:
    task_run_id, execution_id, attempt, ready_at, worker_id, lease_until, worker_group = row
    return QueuedTaskRun(
        task_run_id, execution_id, attempt, ready_at, worker_id, lease_until, worker_group
    )


def event(row: Row) -> Event:
    seq, execution_id, kind, payload = row
    return Event(seq, execution_id, kind, payload)


def timer(row: Row) -> Timer:
    execution_id, due_at, task_run_id = row
    return Timer(execution_id, due_at, task_run_id)


# --- logs ------------------------------------------------------------------------------------
def log_params(entry: LogEntry) -> tuple[object, ...]:
    return (
        entry.tenant,
        entry.execution_id,
        entry.task_run_id,
        entry.task_id,
        entry.namespace,
        entry.flow_id,
        entry.attempt_number,
        entry.level,
        None if entry.message is None else text(entry.message),
        ts(entry.timestamp),
    )


def log_entry(row: Row) -> tuple[int, LogEntry]:
    (
        log_id,
        tenant,
        execution_id,
        task_run_id,
        task_id,
        namespace,
        flow_id,
        attempt_number,
        level,
        message,
        timestamp,
    ) = row
    entry = LogEntry(
        execution_id=execution_id,
        level=level,
        message=message,
        timestamp=timestamp,
        namespace=namespace,
        flow_id=flow_id,
        task_id=task_id,
        task_run_id=task_run_id,
        attempt_number=attempt_number,
        tenant=tenant,
    )
    return log_id, entry


# --- key-value -------------------------------------------------------------------------------
def kv_entry(row: Row) -> KVEntry:
    tenant, namespace, key, value, expires_at, updated = row
    return KVEntry(tenant, namespace, key, value, expires_at, updated)


# --- datetimes inside JSON documents ---------------------------------------------------------
def iso_ts(dt: datetime) -> str:
    return iso(ts(dt))


def from_iso(text: str) -> datetime:
    return parse_iso(text)
