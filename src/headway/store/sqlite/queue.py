"""The executor's inbox (events, timers) and the workers' queue of TaskRuns (leases)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from headway.store.base import Event, Inbox, QueuedTaskRun, QueueStats
from headway.store.sqlite import rows
from headway.store.sqlite.connection import transaction

PENDING_EVENTS = "SELECT seq, execution_id, kind, payload FROM events ORDER BY seq LIMIT ?"
DUE_TIMERS = """
SELECT execution_id, due_at, task_run_id FROM timers WHERE due_at <= ? ORDER BY due_at, id"""
NEXT_TIMER_AT = "SELECT MIN(due_at) FROM timers"
# Rows of the group that are ready and free (never leased, or their lease expired), oldest
# first, leased to the worker in the same statement. Free rows and expired leases are looked
# up apart, each through its partial index. Parameters: worker, lease_until, now, group, limit.
CLAIM = """
WITH candidates AS (
    SELECT * FROM (
        SELECT task_run_id, ready_at FROM queue
        WHERE worker_id IS NULL AND ready_at <= ?3 AND worker_group IS ?4
        ORDER BY ready_at, task_run_id LIMIT ?5
    )
    UNION ALL
    SELECT * FROM (
        SELECT task_run_id, ready_at FROM queue
        WHERE worker_id IS NOT NULL AND lease_until < ?3 AND ready_at <= ?3
          AND worker_group IS ?4
        ORDER BY ready_at, task_run_id LIMIT ?5
    )
)
UPDATE queue SET worker_id = ?1, lease_until = ?2
WHERE task_run_id IN (
    SELECT task_run_id FROM candidates ORDER BY ready_at, task_run_id LIMIT ?5
)
RETURNING task_run_id, execution_id, attempt, ready_at, worker_id, lease_until, worker_group"""
RENEW_LEASES = """
UPDATE queue SET lease_until = ?
WHERE worker_id = ? AND task_run_id IN (SELECT value FROM json_each(?))"""
LEASE_HOLDERS = "SELECT DISTINCT worker_id FROM queue WHERE worker_id IS NOT NULL"
RELEASE_LEASES = """
UPDATE queue SET worker_id = NULL, lease_until = NULL
WHERE worker_id IN (SELECT value FROM json_each(?))"""
NEXT_READY_AT = """
SELECT MIN(at) FROM (
    SELECT MIN(ready_at) AS at FROM queue WHERE worker_id IS NULL
    UNION ALL
    SELECT MIN(lease_until) FROM queue WHERE worker_id IS NOT NULL
)"""


def pending_events(conn: sqlite3.Connection, limit: int) -> list[Event]:
    return [rows.event(row) for row in conn.execute(PENDING_EVENTS, (limit,))]


def inbox(conn: sqlite3.Connection, now: datetime, limit: int) -> Inbox:
    events = pending_events(conn, limit)
    timers = [rows.timer(row) for row in conn.execute(DUE_TIMERS, (rows.ts(now),))]
    due_at: str | None = conn.execute(NEXT_TIMER_AT).fetchone()[0]
    return Inbox(events, timers, rows.opt_from_ts(due_at))


def claim(
    conn: sqlite3.Connection,
    worker_id: str,
    limit: int,
    now: datetime,
    lease_until: datetime,
    worker_group: str | None,
) -> list[QueuedTaskRun]:
    if limit < 1:
        return []
    params = (worker_id, rows.ts(lease_until), rows.ts(now), worker_group, limit)
    with transaction(conn):
        claimed = [rows.queued(row) for row in conn.execute(CLAIM, params).fetchall()]
    # RETURNING gives no order: restore the queue's.
    claimed.sort(key=lambda q: (q.ready_at, q.task_run_id))
    return claimed


def renew_leases(
    conn: sqlite3.Connection, worker_id: str, task_run_ids: list[str], until: datetime
) -> None:
    if task_run_ids:
        conn.execute(RENEW_LEASES, (rows.ts(until), worker_id, json.dumps(task_run_ids)))


def next_ready_at(conn: sqlite3.Connection) -> datetime | None:
    ready_at: str | None = conn.execute(NEXT_READY_AT).fetchone()[0]
    return rows.opt_from_ts(ready_at)


def lease_holders(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute(LEASE_HOLDERS)]


def release_leases(conn: sqlite3.Connection, worker_ids: list[str]) -> int:
    if not worker_ids:
        return 0
    with transaction(conn):
        return conn.execute(RELEASE_LEASES, (json.dumps(worker_ids),)).rowcount


QUEUE_STATS = """
SELECT
    COALESCE(SUM(
        (worker_id IS NULL AND ready_at <= ?1) OR (worker_id IS NOT NULL AND lease_until <= ?1)
    ), 0),
    COALESCE(SUM(worker_id IS NULL AND ready_at > ?1), 0),
    COALESCE(SUM(worker_id IS NOT NULL AND lease_until > ?1), 0),
    MIN(CASE WHEN worker_id IS NULL AND ready_at <= ?1 THEN ready_at END)
FROM queue"""


def queue_stats(conn: sqlite3.Connection, now: datetime) -> QueueStats:
    ready, waiting, leased, oldest = conn.execute(QUEUE_STATS, (rows.ts(now),)).fetchone()
    return QueueStats(ready, waiting, leased, rows.opt_from_ts(oldest))
