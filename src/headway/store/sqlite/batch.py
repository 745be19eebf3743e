"""Applying a :class:`Batch`: every write of it in one transaction, or none.

Order: executions, TaskRun deletions then upserts, then for the queue and the timers the
removals before the additions (a batch may dequeue a finished attempt and enqueue the retry
of the same TaskRun, or clear an execution's timers and set its next one), events then
acknowledgements, logs.
Rows other than executions and logs take their tenant from their execution.
"""

from __future__ import annotations

import sqlite3

from headway.execution import utcnow
from headway.store.base import Batch
from headway.store.sqlite import logs, owners, rows
from headway.store.sqlite.connection import transaction

_TENANT_OF_EXECUTION = "COALESCE((SELECT tenant FROM executions WHERE id = ?), 'main')"

UPSERT_EXECUTION = """
INSERT INTO executions (
    id, tenant, namespace, flow_id, flow_revision, state, start_date, end_date, labels, data,
    updated
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET
    tenant = excluded.tenant, namespace = excluded.namespace, flow_id = excluded.flow_id,
    flow_revision = excluded.flow_revision, state = excluded.state,
    start_date = excluded.start_date, end_date = excluded.end_date, labels = excluded.labels,
    data = excluded.data, updated = excluded.updated"""
# seq: the next number within the execution, on first insert only.
UPSERT_TASK_RUN = f"""
INSERT INTO task_runs (
    id, tenant, execution_id, seq, task_id, parent_task_run_id, value, iteration, state, data
) VALUES (
    ?, {_TENANT_OF_EXECUTION}, ?,
    (SELECT COALESCE(MAX(seq), 0) + 1 FROM task_runs WHERE execution_id = ?),
    ?, ?, ?, ?, ?, ?
)
ON CONFLICT (id) DO UPDATE SET
    task_id = excluded.task_id, parent_task_run_id = excluded.parent_task_run_id,
    value = excluded.value, iteration = excluded.iteration, state = excluded.state,
    data = excluded.data"""
DELETE_TASK_RUN = "DELETE FROM task_runs WHERE id = ?"
DEQUEUE = "DELETE FROM queue WHERE task_run_id = ?"
ENQUEUE = f"""
INSERT INTO queue (
    task_run_id, tenant, execution_id, attempt, ready_at, worker_id, lease_until, worker_group
) VALUES (?, {_TENANT_OF_EXECUTION}, ?, ?, ?, ?, ?, ?)
ON CONFLICT (task_run_id) DO UPDATE SET
    execution_id = excluded.execution_id, attempt = excluded.attempt,
    ready_at = excluded.ready_at, worker_id = excluded.worker_id,
    lease_until = excluded.lease_until, worker_group = excluded.worker_group,
    cancelled = 0"""
INSERT_EVENT = f"""
INSERT INTO events (tenant, execution_id, kind, payload, created)
VALUES ({_TENANT_OF_EXECUTION}, ?, ?, ?, ?)"""
ACK_EVENT = "DELETE FROM events WHERE seq = ?"
CANCEL = "UPDATE queue SET cancelled = 1 WHERE task_run_id = ?"
CLEAR_TIMERS = "DELETE FROM timers WHERE execution_id = ?"
INSERT_TIMER = f"""
INSERT INTO timers (tenant, execution_id, task_run_id, due_at)
VALUES ({_TENANT_OF_EXECUTION}, ?, ?, ?)"""


Steps = list[tuple[str, list[tuple[object, ...]]]]


def commit(conn: sqlite3.Connection, batch: Batch) -> None:
    # Everything is converted (and JSON-encoded) before the transaction starts.
    steps = prepare(batch)
    with transaction(conn):
        if batch.fence is not None:
            owners.check(conn, batch.fence)
        apply(conn, steps)


def prepare(batch: Batch) -> Steps:
    """The statements of a batch and their parameters, in order."""
    now = rows.ts(utcnow())
    return [
        (UPSERT_EXECUTION, [rows.execution_params(e, now) for e in batch.executions]),
        (DELETE_TASK_RUN, [(task_run_id,) for task_run_id in batch.delete_task_runs]),
        (UPSERT_TASK_RUN, [rows.task_run_params(tr) for tr in batch.task_runs]),
        (DEQUEUE, [(task_run_id,) for task_run_id in batch.dequeue]),
        (ENQUEUE, [rows.queued_params(q) for q in batch.enqueue]),
        (
            INSERT_EVENT,
            [
                (
                    e.execution_id,
                    e.execution_id,
                    e.kind,
                    rows.dumps(e.payload, f"a '{e.kind}' event of {e.execution_id}"),
                    now,
                )
                for e in batch.events
            ],
        ),
        (ACK_EVENT, [(seq,) for seq in batch.ack_events]),
        (CLEAR_TIMERS, [(execution_id,) for execution_id in batch.clear_timers]),
        (
            INSERT_TIMER,
            [
                (t.execution_id, t.execution_id, t.task_run_id, rows.ts(t.due_at))
                for t in batch.timers
            ],
        ),
        (logs.INSERT, [rows.log_params(entry) for entry in batch.logs]),
        (CANCEL, [(task_run_id,) for task_run_id in batch.cancel]),
    ]


def apply(conn: sqlite3.Connection, steps: Steps) -> None:
    """Run prepared steps inside the caller's transaction."""
    for statement, params in steps:
        if params:
            conn.executemany(statement, params)
