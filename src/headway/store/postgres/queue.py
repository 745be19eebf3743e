"""The executor's inbox (events, timers) and the workers' queue of TaskRuns (leases).

A claim is one statement: it locks candidate rows with ``FOR UPDATE SKIP LOCKED`` (rows
another claim is taking are skipped, not waited for; a row that another claim took since
our snapshot is read again and no longer matches), picks the first ``limit`` in
``ready_at`` order and leases them. Two workers therefore never lease the same row, and
never wait for each other.
"""

from __future__ import annotations

from datetime import datetime

from headway.store.base import Event, Inbox, QueuedTaskRun, QueueStats
from headway.store.postgres import notify, rows
from headway.store.postgres.connection import Conn

PENDING_EVENTS = "SELECT seq, execution_id, kind, payload FROM events ORDER BY seq LIMIT %s"
DUE_TIMERS = """
SELECT execution_id, due_at, task_run_id FROM timers WHERE due_at <= %s ORDER BY due_at, id"""
NEXT_TIMER_AT = "SELECT MIN(due_at) FROM timers"
# Free rows of the group (never leased) and rows whose lease expired, each looked up through
# its partial index, oldest first; of those, the first ``limit`` by ready_at are leased. A
# worker without group takes the rows without group ('' in the index).
CLAIM = """
WITH free AS (
    SELECT task_run_id, ready_at FROM queue
    WHERE worker_id IS NULL AND ready_at <= %(now)s
      AND COALESCE(worker_group, '') = %(group)s
    ORDER BY COALESCE(worker_group, ''), ready_at, task_run_id
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), expired AS (
    SELECT task_run_id, ready_at FROM queue
    WHERE worker_id IS NOT NULL AND lease_until < %(now)s AND ready_at <= %(now)s
      AND COALESCE(worker_group, '') = %(group)s
    ORDER BY lease_until
    LIMIT %(limit)s
    FOR UPDATE SKIP LOCKED
), chosen AS (
    SELECT task_run_id FROM (SELECT * FROM free UNION ALL SELECT * FROM expired) AS candidates
    ORDER BY ready_at, task_run_id LIMIT %(limit)s
)
UPDATE queue SET worker_id = %(worker)s, lease_until = %(lease_until)s
FROM chosen WHERE queue.task_run_id = chosen.task_run_id
RETURNING queue.task_run_id, execution_id, attempt, ready_at, worker_id, lease_until,
    worker_group"""
# Renewals and releases lock their rows in one order and skip those another transaction
# holds (a row being dequeued, or reclaimed after its lease expired, needs no renewal): they
# never wait, so they never take part in a deadlock.
RENEW_LEASES = """
UPDATE queue SET lease_until = %s
WHERE task_run_id IN (
    SELECT task_run_id FROM queue WHERE worker_id = %s AND task_run_id = ANY(%s)
    ORDER BY task_run_id FOR UPDATE SKIP LOCKED
)"""
LEASE_HOLDERS = "SELECT DISTINCT worker_id FROM queue WHERE worker_id IS NOT NULL"
RELEASE_LEASES = """
UPDATE queue SET worker_id = NULL, lease_until = NULL
WHERE task_run_id IN (
    SELECT task_run_id FROM queue WHERE worker_id = ANY(%s)
    ORDER BY task_run_id FOR UPDATE SKIP LOCKED
)"""
NEXT_READY_AT = """
SELECT LEAST(
    (SELECT MIN(ready_at) FROM queue WHERE worker_id IS NULL),
    (SELECT MIN(lease_until) FROM queue WHERE worker_id IS NOT NULL)
)"""


async def pending_events(conn: Conn, limit: int) -> list[Event]:
    cursor = await conn.execute(PENDING_EVENTS, (limit,))
    return [rows.event(row) for row in await cursor.fetchall()]


async def inbox(conn: Conn, now: datetime, limit: int) -> Inbox:
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


async def renew_leases(
    conn: Conn, worker_id: str, task_run_ids: list[str], until: datetime
) -> None:
    if task_run_ids:
        await conn.execute(RENEW_LEASES, (rows.ts(until), worker_id, task_run_ids))


async def next_ready_at(conn: Conn) -> datetime | None:
    row = await (await conn.execute(NEXT_READY_AT)).fetchone()
    return None if row is None else row[0]


async def lease_holders(conn: Conn) -> list[str]:
    return [row[0] for row in await (await conn.execute(LEASE_HOLDERS)).fetchall()]


async def release_leases(conn: Conn, worker_ids: list[str], origin: str) -> int:
    if not worker_ids:
        return 0
    async with conn.transaction():
        released = (await conn.execute(RELEASE_LEASES, (worker_ids,))).rowcount
        if released:
            for params in notify.queue_params(origin):
                await conn.execute(notify.NOTIFY, params)
    return released


QUEUE_STATS = """
SELECT
    COUNT(*) FILTER (
        WHERE (worker_id IS NULL AND ready_at <= %(now)s)
           OR (worker_id IS NOT NULL AND lease_until <= %(now)s)
    ),
    COUNT(*) FILTER (WHERE worker_id IS NULL AND ready_at > %(now)s),
    COUNT(*) FILTER (WHERE worker_id IS NOT NULL AND lease_until > %(now)s),
    MIN(ready_at) FILTER (WHERE worker_id IS NULL AND ready_at <= %(now)s)
FROM queue"""


async def queue_stats(conn: Conn, now: datetime) -> QueueStats:
    cursor = await conn.execute(QUEUE_STATS, {"now": now})
    row = await cursor.fetchone()
    assert row is not None  # an aggregate always answers one row
    ready, waiting, leased, oldest = row
    return QueueStats(int(ready), int(waiting), int(leased), oldest)
