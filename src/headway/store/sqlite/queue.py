"""The executor's inbox (events, timers) and the workers' queue of TaskRuns (leases)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from headway.execution import iso
from headway.store.base import (
    Event,
    Inbox,
    Ownership,
    QueuedTaskRun,
    QueueStats,
    Renewal,
    WorkerInfo,
)
from headway.store.sqlite import owners, rows
from headway.store.sqlite.connection import transaction

PENDING_EVENTS = "SELECT seq, execution_id, kind, payload FROM events ORDER BY seq LIMIT ?"
PENDING_EVENTS_OF = """
SELECT seq, execution_id, kind, payload FROM events WHERE execution_id = ? ORDER BY seq LIMIT ?"""
DUE_TIMERS = """
SELECT execution_id, due_at, task_run_id FROM timers WHERE due_at <= ? ORDER BY due_at, id"""
NEXT_TIMER_AT = "SELECT MIN(due_at) FROM timers"
# The same, of executions no other executor owns now (?2: the owner, ?3: now).
FREE_EVENTS = """
SELECT seq, execution_id, kind, payload FROM events AS e
WHERE NOT EXISTS (
    SELECT 1 FROM execution_owners AS o
    WHERE o.execution_id = e.execution_id AND o.owner != ?2 AND o.until > ?3
)
ORDER BY seq LIMIT ?1"""
FREE_TIMERS = """
SELECT execution_id, due_at, task_run_id FROM timers AS t
WHERE due_at <= ?2 AND NOT EXISTS (
    SELECT 1 FROM execution_owners AS o
    WHERE o.execution_id = t.execution_id AND o.owner != ?1 AND o.until > ?2
)
ORDER BY due_at, id"""
# Rows of the group that are ready and free, oldest first, leased to the worker in the same
# statement. Parameters: worker, lease_until, now, group, limit.
CLAIM = """
UPDATE queue SET worker_id = ?1, lease_until = ?2
WHERE task_run_id IN (
    SELECT task_run_id FROM queue
    WHERE worker_id IS NULL AND ready_at <= ?3 AND worker_group IS ?4
    ORDER BY ready_at, task_run_id LIMIT ?5
)
RETURNING task_run_id, execution_id, attempt, ready_at, worker_id, lease_until, worker_group"""
RENEW_LEASES = """
UPDATE queue SET lease_until = ?
WHERE worker_id = ? AND task_run_id IN (SELECT value FROM json_each(?))
RETURNING task_run_id, cancelled"""
REGISTER_WORKER = """
INSERT INTO workers (id, worker_group, slots, host, started, heartbeat)
VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO UPDATE SET heartbeat = excluded.heartbeat"""
REMOVE_WORKER = "DELETE FROM workers WHERE id = ?"
PRUNE_WORKERS = """
DELETE FROM workers AS w
WHERE heartbeat < ? AND NOT EXISTS (SELECT 1 FROM queue AS q WHERE q.worker_id = w.id)
RETURNING id"""
WORKERS = "SELECT id, worker_group, slots, host, started, heartbeat FROM workers ORDER BY id"
EXPIRED = """
SELECT task_run_id, execution_id, attempt, worker_id, lease_until FROM queue
WHERE worker_id IS NOT NULL AND lease_until < ?"""
LEASED_BY = """
SELECT task_run_id, execution_id, attempt, worker_id, lease_until FROM queue
WHERE worker_id IN (SELECT value FROM json_each(?))"""
LOST_EVENT = """
INSERT INTO events (tenant, execution_id, kind, payload, created)
SELECT tenant, execution_id, 'lost', ?, ? FROM queue WHERE task_run_id = ?"""
DELETE_ROW = "DELETE FROM queue WHERE task_run_id = ?"
LEASE_HOLDERS = "SELECT DISTINCT worker_id FROM queue WHERE worker_id IS NOT NULL"
NEXT_READY_AT = "SELECT MIN(ready_at) FROM queue WHERE worker_id IS NULL"


def pending_events(
    conn: sqlite3.Connection, limit: int, execution_id: str | None = None
) -> list[Event]:
    if execution_id is not None:
        return [rows.event(r) for r in conn.execute(PENDING_EVENTS_OF, (execution_id, limit))]
    return [rows.event(row) for row in conn.execute(PENDING_EVENTS, (limit,))]


def inbox(
    conn: sqlite3.Connection, now: datetime, limit: int, ownership: Ownership | None
) -> Inbox:
    at = rows.ts(now)
    if ownership is None:
        events = pending_events(conn, limit)
        timers = [rows.timer(row) for row in conn.execute(DUE_TIMERS, (at,))]
        due_at: str | None = conn.execute(NEXT_TIMER_AT).fetchone()[0]
        return Inbox(events, timers, rows.opt_from_ts(due_at))
    with transaction(conn):
        events = [rows.event(r) for r in conn.execute(FREE_EVENTS, (limit, ownership.owner, at))]
        timers = [rows.timer(r) for r in conn.execute(FREE_TIMERS, (ownership.owner, at))]
        wanted = {e.execution_id for e in events} | {t.execution_id for t in timers}
        wanted.update(ownership.also)
        owned = owners.take(conn, ownership, now, sorted(wanted))
        due_at = conn.execute(NEXT_TIMER_AT).fetchone()[0]
    return Inbox(
        [e for e in events if e.execution_id in owned],
        [t for t in timers if t.execution_id in owned],
        rows.opt_from_ts(due_at),
        owned,
    )


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


def heartbeat(
    conn: sqlite3.Connection,
    worker: WorkerInfo,
    running: list[str],
    now: datetime,
    until: datetime,
) -> Renewal:
    registration = (
        worker.id,
        worker.group,
        worker.slots,
        worker.host,
        rows.ts(worker.started),
        rows.ts(now),
    )
    with transaction(conn):
        conn.execute(REGISTER_WORKER, registration)
        renewed = conn.execute(
            RENEW_LEASES, (rows.ts(until), worker.id, json.dumps(running))
        ).fetchall()
    return Renewal(
        frozenset(row[0] for row in renewed), frozenset(row[0] for row in renewed if row[1])
    )


def remove_worker(conn: sqlite3.Connection, worker_id: str) -> None:
    conn.execute(REMOVE_WORKER, (worker_id,))


def prune_workers(conn: sqlite3.Connection, silent_since: datetime) -> list[str]:
    with transaction(conn):
        return sorted(row[0] for row in conn.execute(PRUNE_WORKERS, (rows.ts(silent_since),)))


def workers(conn: sqlite3.Connection) -> list[WorkerInfo]:
    return [
        WorkerInfo(id_, group, slots, host, rows.from_ts(started), rows.from_ts(beat))
        for id_, group, slots, host, started, beat in conn.execute(WORKERS)
    ]


def reap_leases(conn: sqlite3.Connection, now: datetime, worker_ids: list[str] | None) -> int:
    with transaction(conn):
        if worker_ids is None:
            lost = conn.execute(EXPIRED, (rows.ts(now),)).fetchall()
        else:
            lost = conn.execute(LEASED_BY, (json.dumps(worker_ids),)).fetchall()
        created = rows.ts(now)
        for task_run_id, _execution_id, attempt, worker_id, lease_until in lost:
            payload = {
                "taskRunId": task_run_id,
                "attempt": attempt,
                "workerId": worker_id,
                "leaseUntil": iso(rows.from_ts(lease_until)),
            }
            conn.execute(LOST_EVENT, (json.dumps(payload), created, task_run_id))
            conn.execute(DELETE_ROW, (task_run_id,))
    return len(lost)


def next_ready_at(conn: sqlite3.Connection) -> datetime | None:
    ready_at: str | None = conn.execute(NEXT_READY_AT).fetchone()[0]
    return rows.opt_from_ts(ready_at)


def lease_holders(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute(LEASE_HOLDERS)]


QUEUE_STATS = """
SELECT
    COALESCE(SUM(worker_id IS NULL AND ready_at <= ?1), 0),
    COALESCE(SUM(worker_id IS NULL AND ready_at > ?1), 0),
    COALESCE(SUM(worker_id IS NOT NULL), 0),
    MIN(CASE WHEN worker_id IS NULL AND ready_at <= ?1 THEN ready_at END)
FROM queue"""


def queue_stats(conn: sqlite3.Connection, now: datetime) -> QueueStats:
    ready, waiting, leased, oldest = conn.execute(QUEUE_STATS, (rows.ts(now),)).fetchone()
    return QueueStats(ready, waiting, leased, rows.opt_from_ts(oldest))
