"""The executor's inbox (events, timers) and the workers' queue of TaskRuns (leases).

A claim is one statement: it locks candidate rows with ``FOR UPDATE SKIP LOCKED`` (rows
another claim is taking are skipped, not waited for; a row that another claim took since
our snapshot is read again and no longer matches), picks the first ``limit`` in
``ready_at`` order and leases them. Two workers therefore never lease the same row, and
never wait for each other. A row whose lease expired is not claimed: it is reaped (turned
into a ``lost`` event), and its executor decides whether the TaskRun runs again.
"""

from __future__ import annotations

from datetime import datetime

from headway.store.base import (
    Event,
    Inbox,
    Ownership,
    QueuedTaskRun,
    QueueStats,
    Renewal,
    WorkerInfo,
)
from headway.store.postgres import notify, owners, rows
from headway.store.postgres.connection import Conn

PENDING_EVENTS = "SELECT seq, execution_id, kind, payload FROM events ORDER BY seq LIMIT %s"
PENDING_EVENTS_OF = """
SELECT seq, execution_id, kind, payload FROM events WHERE execution_id = %s ORDER BY seq LIMIT %s"""
DUE_TIMERS = """
SELECT execution_id, due_at, task_run_id FROM timers WHERE due_at <= %s ORDER BY due_at, id"""
NEXT_TIMER_AT = "SELECT MIN(due_at) FROM timers"
# The same, of executions no other executor owns now.
FREE_EVENTS = """
SELECT seq, execution_id, kind, payload FROM events AS e
WHERE NOT EXISTS (
    SELECT 1 FROM execution_owners AS o
    WHERE o.execution_id = e.execution_id AND o.owner <> %(owner)s AND o.until > %(now)s
)
ORDER BY seq LIMIT %(limit)s"""
FREE_TIMERS = """
SELECT execution_id, due_at, task_run_id FROM timers AS t
WHERE due_at <= %(now)s AND NOT EXISTS (
    SELECT 1 FROM execution_owners AS o
    WHERE o.execution_id = t.execution_id AND o.owner <> %(owner)s AND o.until > %(now)s
)
ORDER BY due_at, id"""
# Free rows of the group, looked up through their partial index, oldest first; of those,
# the first ``limit`` are leased. A worker without group takes the rows without group (''
# in the index).
CLAIM = """
WITH chosen AS (
    SELECT task_run_id FROM queue
    WHERE worker_id IS NULL AND ready_at <= %(now)s
      AND COALESCE(worker_group, '') = %(group)s
    ORDER BY COALESCE(worker_group, ''), ready_at, task_run_id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
)
UPDATE queue SET worker_id = %(worker)s, lease_until = %(lease_until)s
FROM chosen WHERE queue.task_run_id = chosen.task_run_id
RETURNING queue.task_run_id, execution_id, attempt, ready_at, worker_id, lease_until,
    worker_group"""
# Renewals lock their rows in one order and skip those another transaction holds (a row
# being dequeued, or reaped, needs no renewal): they never wait, so they never take part in
# a deadlock.
RENEW_LEASES = """
UPDATE queue SET lease_until = %s
WHERE task_run_id IN (
    SELECT task_run_id FROM queue WHERE worker_id = %s AND task_run_id = ANY(%s)
    ORDER BY task_run_id FOR UPDATE SKIP LOCKED
)
RETURNING task_run_id, cancelled"""
# Rows locked by another transaction are still held: they are not reported lost.
STILL_LOCKED = """
SELECT task_run_id FROM queue WHERE worker_id = %s AND task_run_id = ANY(%s)
    AND NOT (task_run_id = ANY(%s))"""
REGISTER_WORKER = """
INSERT INTO workers (id, worker_group, slots, host, started, heartbeat)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (id) DO UPDATE SET heartbeat = excluded.heartbeat"""
REMOVE_WORKER = "DELETE FROM workers WHERE id = %s"
PRUNE_WORKERS = """
DELETE FROM workers AS w
WHERE heartbeat < %s AND NOT EXISTS (SELECT 1 FROM queue AS q WHERE q.worker_id = w.id)
RETURNING id"""
WORKERS = "SELECT id, worker_group, slots, host, started, heartbeat FROM workers ORDER BY id"
# Expired (or given workers') leases leave the queue and become ``lost`` events, in one
# statement; rows another transaction holds are left for the next reap.
REAP = """
WITH lost AS (
    DELETE FROM queue WHERE task_run_id IN (
        SELECT task_run_id FROM queue
        WHERE worker_id IS NOT NULL AND {where}
        ORDER BY task_run_id FOR UPDATE SKIP LOCKED
    )
    RETURNING tenant, execution_id, task_run_id, attempt, worker_id, lease_until
)
INSERT INTO events (tenant, execution_id, kind, payload, created)
SELECT tenant, execution_id, 'lost', json_build_object(
    'taskRunId', task_run_id, 'attempt', attempt, 'workerId', worker_id,
    'leaseUntil', to_char(lease_until AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
), %(now)s FROM lost"""
REAP_EXPIRED = REAP.format(where="lease_until < %(now)s")
REAP_WORKERS = REAP.format(where="worker_id = ANY(%(workers)s)")
LEASE_HOLDERS = "SELECT DISTINCT worker_id FROM queue WHERE worker_id IS NOT NULL"
NEXT_READY_AT = "SELECT MIN(ready_at) FROM queue WHERE worker_id IS NULL"


async def pending_events(conn: Conn, limit: int, execution_id: str | None = None) -> list[Event]:
    if execution_id is not None:
        cursor = await conn.execute(PENDING_EVENTS_OF, (execution_id, limit))
    else:
        cursor = await conn.execute(PENDING_EVENTS, (limit,))
    return [rows.event(row) for row in await cursor.fetchall()]


async def inbox(conn: Conn, now: datetime, limit: int, ownership: Ownership | None) -> Inbox:
    if ownership is not None:
        return await _owned_inbox(conn, now, limit, ownership)
    async with conn.pipeline():
        events = await conn.execute(PENDING_EVENTS, (limit,))
        timers = await conn.execute(DUE_TIMERS, (rows.ts(now),))
        next_timer = await conn.execute(NEXT_TIMER_AT)
        event_rows = await events.fetchall()
        timer_rows = await timers.fetchall()
        next_row = await next_timer.fetchone()
    return Inbox(
        [rows.event(row) for row in event_rows],
        [rows.timer(row) for row in timer_rows],
        None if next_row is None else next_row[0],
    )


async def _owned_inbox(conn: Conn, now: datetime, limit: int, ownership: Ownership) -> Inbox:
    params = {"owner": ownership.owner, "now": rows.ts(now), "limit": limit}
    async with conn.transaction():
        async with conn.pipeline():
            events_cursor = await conn.execute(FREE_EVENTS, params)
            timers_cursor = await conn.execute(FREE_TIMERS, params)
            next_cursor = await conn.execute(NEXT_TIMER_AT)
            events = [rows.event(row) for row in await events_cursor.fetchall()]
            timers = [rows.timer(row) for row in await timers_cursor.fetchall()]
            next_row = await next_cursor.fetchone()
        wanted = {e.execution_id for e in events} | {t.execution_id for t in timers}
        wanted.update(ownership.also)
        owned = await owners.take(conn, ownership, now, sorted(wanted))
    return Inbox(
        [e for e in events if e.execution_id in owned],
        [t for t in timers if t.execution_id in owned],
        None if next_row is None else next_row[0],
        owned,
    )


async def claim(
    conn: Conn,
    worker_id: str,
    limit: int,
    now: datetime,
    lease_until: datetime,
    worker_group: str | None,
) -> list[QueuedTaskRun]:
    if limit < 1:
        return []
    params = {
        "worker": worker_id,
        "lease_until": rows.ts(lease_until),
        "now": rows.ts(now),
        "group": worker_group or "",
        "limit": limit,
    }
    cursor = await conn.execute(CLAIM, params)
    claimed = [rows.queued(row) for row in await cursor.fetchall()]
    # RETURNING gives no order: restore the queue's.
    claimed.sort(key=lambda q: (q.ready_at, q.task_run_id))
    return claimed


async def heartbeat(
    conn: Conn, worker: WorkerInfo, running: list[str], now: datetime, until: datetime
) -> Renewal:
    registration = (
        worker.id,
        worker.group,
        worker.slots,
        worker.host,
        rows.ts(worker.started),
        rows.ts(now),
    )
    await conn.execute(REGISTER_WORKER, registration)
    if not running:
        return Renewal(frozenset(), frozenset())
    cursor = await conn.execute(RENEW_LEASES, (rows.ts(until), worker.id, running))
    renewed = await cursor.fetchall()
    held = {row[0] for row in renewed}
    if len(held) < len(running):
        # Rows skipped because another transaction holds them (a result being committed)
        # are still this worker's.
        locked = await conn.execute(STILL_LOCKED, (worker.id, running, list(held)))
        held.update(row[0] for row in await locked.fetchall())
    return Renewal(frozenset(held), frozenset(row[0] for row in renewed if row[1]))


async def remove_worker(conn: Conn, worker_id: str) -> None:
    await conn.execute(REMOVE_WORKER, (worker_id,))


async def prune_workers(conn: Conn, silent_since: datetime) -> list[str]:
    cursor = await conn.execute(PRUNE_WORKERS, (rows.ts(silent_since),))
    return sorted(row[0] for row in await cursor.fetchall())


async def workers(conn: Conn) -> list[WorkerInfo]:
    cursor = await conn.execute(WORKERS)
    return [
        WorkerInfo(id_, group, slots, host, started, beat)
        for id_, group, slots, host, started, beat in await cursor.fetchall()
    ]


async def reap_leases(conn: Conn, now: datetime, worker_ids: list[str] | None, origin: str) -> int:
    if worker_ids is not None and not worker_ids:
        return 0
    async with conn.transaction():
        if worker_ids is None:
            reaped = await conn.execute(REAP_EXPIRED, {"now": rows.ts(now)})
        else:
            reaped = await conn.execute(REAP_WORKERS, {"now": rows.ts(now), "workers": worker_ids})
        count = reaped.rowcount
        if count:
            for params in notify.inbox_params(origin):
                await conn.execute(notify.NOTIFY, params)
    return count


async def next_ready_at(conn: Conn) -> datetime | None:
    row = await (await conn.execute(NEXT_READY_AT)).fetchone()
    return None if row is None else row[0]


async def lease_holders(conn: Conn) -> list[str]:
    return [row[0] for row in await (await conn.execute(LEASE_HOLDERS)).fetchall()]


QUEUE_STATS = """
SELECT
    COUNT(*) FILTER (WHERE worker_id IS NULL AND ready_at <= %(now)s),
    COUNT(*) FILTER (WHERE worker_id IS NULL AND ready_at > %(now)s),
    COUNT(*) FILTER (WHERE worker_id IS NOT NULL),
    MIN(ready_at) FILTER (WHERE worker_id IS NULL AND ready_at <= %(now)s)
FROM queue"""


async def queue_stats(conn: Conn, now: datetime) -> QueueStats:
    cursor = await conn.execute(QUEUE_STATS, {"now": now})
    row = await cursor.fetchone()
    assert row is not None  # an aggregate always answers one row
    ready, waiting, leased, oldest = row
    return QueueStats(int(ready), int(waiting), int(leased), oldest)
