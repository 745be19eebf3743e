"""Applying a :class:`Batch`: every write of it in one transaction, or none.

Order (as in SQLite, after the locks that writers of logs take, see :mod:`.logs`):
executions, TaskRun deletions then upserts, then for the queue and the timers the removals
before the additions, events then acknowledgements, logs. Rows other than executions and
logs take their tenant from their execution.

The statements of a batch are sent in one pipeline (BEGIN ... COMMIT without waiting for
each answer). A batch that enqueues TaskRuns or adds events or timers also sends a
notification (see :mod:`.notify`), delivered to listeners when it commits.
"""

from __future__ import annotations

from datetime import datetime

import psycopg

from headway.execution import utcnow
from headway.store.base import Batch, Fenced
from headway.store.postgres import logs, notify, owners, rows
from headway.store.postgres.connection import Conn

_TENANT_OF_EXECUTION = "COALESCE((SELECT tenant FROM executions WHERE id = %s), 'main')"

UPSERT_EXECUTION = """
INSERT INTO executions (
    id, tenant, namespace, flow_id, flow_revision, state, start_date, end_date, labels, data,
    updated
) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (id) DO UPDATE SET
    tenant = excluded.tenant, namespace = excluded.namespace, flow_id = excluded.flow_id,
    flow_revision = excluded.flow_revision, state = excluded.state,
    start_date = excluded.start_date, end_date = excluded.end_date, labels = excluded.labels,
    data = excluded.data, updated = excluded.updated"""
# seq (creation order) is given on first insert only.
UPSERT_TASK_RUN = f"""
INSERT INTO task_runs (
    id, tenant, execution_id, task_id, parent_task_run_id, value, iteration, state, data
) VALUES (%s, {_TENANT_OF_EXECUTION}, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (id) DO UPDATE SET
    task_id = excluded.task_id, parent_task_run_id = excluded.parent_task_run_id,
    value = excluded.value, iteration = excluded.iteration, state = excluded.state,
    data = excluded.data"""
DELETE_TASK_RUN = "DELETE FROM task_runs WHERE id = %s"
DEQUEUE = "DELETE FROM queue WHERE task_run_id = %s"
ENQUEUE = f"""
INSERT INTO queue (
    task_run_id, tenant, execution_id, attempt, ready_at, worker_id, lease_until, worker_group
) VALUES (%s, {_TENANT_OF_EXECUTION}, %s, %s, %s, %s, %s, %s)
ON CONFLICT (task_run_id) DO UPDATE SET
    execution_id = excluded.execution_id, attempt = excluded.attempt,
    ready_at = excluded.ready_at, worker_id = excluded.worker_id,
    lease_until = excluded.lease_until, worker_group = excluded.worker_group,
    cancelled = false"""
INSERT_EVENT = f"""
INSERT INTO events (tenant, execution_id, kind, payload, created)
VALUES ({_TENANT_OF_EXECUTION}, %s, %s, %s, %s)"""
ACK_EVENT = "DELETE FROM events WHERE seq = %s"
CANCEL = "UPDATE queue SET cancelled = true WHERE task_run_id = %s"
CLEAR_TIMERS = "DELETE FROM timers WHERE execution_id = %s"
INSERT_TIMER = f"""
INSERT INTO timers (tenant, execution_id, task_run_id, due_at)
VALUES ({_TENANT_OF_EXECUTION}, %s, %s, %s)"""

Steps = list[tuple[str, list[tuple[object, ...]]]]


async def commit(conn: Conn, batch: Batch, origin: str) -> None:
    # Everything is converted (and JSON-encoded) before the transaction starts.
    await run(conn, prepare(batch, origin))


async def run(conn: Conn, steps: Steps) -> None:
    """Apply prepared steps in one transaction; a refused fence raises Fenced."""
    try:
        async with conn.pipeline(), conn.transaction():
            await apply(conn, steps)
    except psycopg.Error as exc:
        if exc.sqlstate == owners.FENCED:
            raise Fenced(exc.diag.message_primary or str(exc)) from None
        raise


def prepare(batch: Batch, origin: str) -> Steps:
    """The statements of a batch and their parameters, in order (its notifications last)."""
    now = utcnow()
    fence = owners.steps(batch.fence)
    return [
        # What the writer must hold, first: nothing is written by a writer that lost it.
        *fence[:1],
        # Then, so that no other lock is held while waiting for them.
        (logs.LOCK_EXECUTION, logs.lock_params(batch.logs)),
        (UPSERT_EXECUTION, [rows.execution_params(e, now) for e in batch.executions]),
        (DELETE_TASK_RUN, [(task_run_id,) for task_run_id in batch.delete_task_runs]),
        (UPSERT_TASK_RUN, [rows.task_run_params(tr) for tr in batch.task_runs]),
        # Rows of the queue in one order (that of claims and renewals): fewer deadlocks.
        (DEQUEUE, [(task_run_id,) for task_run_id in sorted(set(batch.dequeue))]),
        (ENQUEUE, [rows.queued_params(q) for q in batch.enqueue]),
        (
            INSERT_EVENT,
            [_event_params(e.execution_id, e.kind, e.payload, now) for e in batch.events],
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
        (CANCEL, [(task_run_id,) for task_run_id in sorted(set(batch.cancel))]),
        *fence[1:],
        (notify.NOTIFY, notify.params(batch, origin)),
    ]


def _event_params(
    execution_id: str, kind: str, payload: object, now: datetime
) -> tuple[object, ...]:
    what = f"a '{kind}' event of {execution_id}"
    return (execution_id, execution_id, kind, rows.dumps(payload, what), now)


async def apply(conn: Conn, steps: Steps) -> None:
    """Run prepared steps inside the caller's transaction."""
    async with conn.cursor() as cursor:
        for statement, params in steps:
            if params:
                await cursor.executemany(statement, params)
