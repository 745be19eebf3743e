"""Applying a :class:`Batch`: every write of it in one transaction, or none.

Order (as in SQLite, after the locks that writers of logs take, see :mod:`.logs`):
executions, TaskRun deletions then upserts, then for the queue and the timers the removals
before the additions, events then acknowledgements, logs. Rows other than executions and
logs take their tenant from their execution.

Each kind of row is written by one statement, whatever the number of rows: its columns go
as arrays (in binary: psycopg's text format escapes each element, in Python), unnested in
order. The statements of a batch are sent in one pipeline (BEGIN ... COMMIT without waiting for
each answer). A batch that enqueues TaskRuns or adds events or timers also sends a
notification (see :mod:`.notify`), delivered to listeners when it commits.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import psycopg

from headway.execution import utcnow
from headway.store.base import Batch, Fenced
from headway.store.postgres import logs, notify, owners, rows
from headway.store.postgres.connection import Conn

_TENANT_OF_EXECUTION = "COALESCE((SELECT tenant FROM executions WHERE id = u.execution_id), 'main')"

# Each statement writes every row of its kind in the batch at once, from arrays (one per
# column, unnested in order: rows created in one statement keep the batch's order).
UPSERT_EXECUTIONS = """
INSERT INTO executions (
    id, tenant, namespace, flow_id, flow_revision, state, start_date, end_date, labels, data,
    updated
) SELECT * FROM unnest(
    %b::text[], %b::text[], %b::text[], %b::text[], %b::int[], %b::text[],
    %b::timestamptz[], %b::timestamptz[], %b::jsonb[], %b::json[], %b::timestamptz[]
)
ON CONFLICT (id) DO UPDATE SET
    tenant = excluded.tenant, namespace = excluded.namespace, flow_id = excluded.flow_id,
    flow_revision = excluded.flow_revision, state = excluded.state,
    start_date = excluded.start_date, end_date = excluded.end_date, labels = excluded.labels,
    data = excluded.data, updated = excluded.updated"""
# seq (creation order) is given on first insert only; rev (the revision) on every write.
UPSERT_TASK_RUNS = f"""
INSERT INTO task_runs (
    id, tenant, execution_id, task_id, parent_task_run_id, value, iteration, state, data
) SELECT u.id, {_TENANT_OF_EXECUTION}, u.execution_id, u.task_id, u.parent_task_run_id,
    u.value, u.iteration, u.state, u.data
FROM unnest(
    %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::int[], %b::text[],
    %b::json[]
) AS u(id, execution_id, task_id, parent_task_run_id, value, iteration, state, data)
ON CONFLICT (id) DO UPDATE SET
    task_id = excluded.task_id, parent_task_run_id = excluded.parent_task_run_id,
    value = excluded.value, iteration = excluded.iteration, state = excluded.state,
    data = excluded.data, rev = excluded.rev"""
DELETE_TASK_RUNS = "DELETE FROM task_runs WHERE id = ANY(%b::text[])"
DEQUEUE = "DELETE FROM queue WHERE task_run_id = ANY(%b::text[])"
ENQUEUE = f"""
INSERT INTO queue (
    task_run_id, tenant, execution_id, attempt, ready_at, worker_id, lease_until, worker_group
) SELECT u.task_run_id, {_TENANT_OF_EXECUTION}, u.execution_id, u.attempt, u.ready_at,
    u.worker_id, u.lease_until, u.worker_group
FROM unnest(
    %b::text[], %b::text[], %b::int[], %b::timestamptz[], %b::text[], %b::timestamptz[],
    %b::text[]
) AS u(task_run_id, execution_id, attempt, ready_at, worker_id, lease_until, worker_group)
ON CONFLICT (task_run_id) DO UPDATE SET
    execution_id = excluded.execution_id, attempt = excluded.attempt,
    ready_at = excluded.ready_at, worker_id = excluded.worker_id,
    lease_until = excluded.lease_until, worker_group = excluded.worker_group,
    cancelled = false"""
INSERT_EVENTS = f"""
INSERT INTO events (tenant, execution_id, kind, payload, created)
SELECT {_TENANT_OF_EXECUTION}, u.execution_id, u.kind, u.payload, %s
FROM unnest(%b::text[], %b::text[], %b::json[]) AS u(execution_id, kind, payload)"""
ACK_EVENTS = "DELETE FROM events WHERE seq = ANY(%b::bigint[])"
CANCEL = "UPDATE queue SET cancelled = true WHERE task_run_id = ANY(%b::text[])"
CLEAR_TIMERS = "DELETE FROM timers WHERE execution_id = ANY(%b::text[])"
INSERT_TIMERS = f"""
INSERT INTO timers (tenant, execution_id, task_run_id, due_at)
SELECT {_TENANT_OF_EXECUTION}, u.execution_id, u.task_run_id, u.due_at
FROM unnest(%b::text[], %b::text[], %b::timestamptz[]) AS u(execution_id, task_run_id, due_at)"""

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
        (logs.LOCK_EXECUTIONS, logs.lock_params(batch.logs)),
        (UPSERT_EXECUTIONS, rows.columns(rows.execution_params(e, now) for e in batch.executions)),
        (DELETE_TASK_RUNS, ids(batch.delete_task_runs)),
        (UPSERT_TASK_RUNS, rows.columns(rows.task_run_params(tr) for tr in batch.task_runs)),
        # Rows of the queue in one order (that of claims and renewals): fewer deadlocks.
        (DEQUEUE, ids(batch.dequeue)),
        (ENQUEUE, rows.columns(rows.queued_params(q) for q in batch.enqueue)),
        (INSERT_EVENTS, _events(batch, now)),
        (ACK_EVENTS, ids(batch.ack_events)),
        (CLEAR_TIMERS, ids(batch.clear_timers)),
        (
            INSERT_TIMERS,
            rows.columns(
                ((t.execution_id, t.task_run_id, rows.ts(t.due_at)) for t in batch.timers),
                unique=False,
            ),
        ),
        (logs.INSERT, logs.insert_params(batch.logs)),
        (CANCEL, ids(batch.cancel)),
        *fence[1:],
        (notify.NOTIFY, notify.params(batch, origin)),
    ]


def ids(values: Iterable[object]) -> list[tuple[object, ...]]:
    """Distinct ids in order, as one array parameter (rows are locked in that order)."""
    unique = sorted(set(values))  # type: ignore[type-var]
    return [(unique,)] if unique else []


def _events(batch: Batch, now: datetime) -> list[tuple[object, ...]]:
    if not batch.events:
        return []
    payloads = [
        rows.dumps(e.payload, f"a '{e.kind}' event of {e.execution_id}") for e in batch.events
    ]
    return [
        (
            now,
            [e.execution_id for e in batch.events],
            [e.kind for e in batch.events],
            payloads,
        )
    ]


async def apply(conn: Conn, steps: Steps) -> None:
    """Run prepared steps inside the caller's transaction."""
    async with conn.cursor() as cursor:
        for statement, params in steps:
            if params:
                await cursor.executemany(statement, params)
