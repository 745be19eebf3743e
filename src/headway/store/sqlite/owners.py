"""Which executor advances an execution, and the fence that a batch's writer still holds
what it writes for (see :class:`headway.store.base.Fence`)."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime

from headway.store.base import Fence, Fenced, Ownership
from headway.store.sqlite import rows

# Taken when free or expired; a new token when it changes hands (kept when its own owner
# takes it back after its lease ran out: nobody advanced it meanwhile).
TAKE = """
INSERT INTO execution_owners (execution_id, owner, token, until)
VALUES (?1, ?2, lower(hex(randomblob(8))), ?3)
ON CONFLICT (execution_id) DO UPDATE SET
    token = CASE WHEN execution_owners.owner = excluded.owner
        THEN execution_owners.token ELSE excluded.token END,
    owner = excluded.owner, until = excluded.until
WHERE execution_owners.until <= ?4"""
OWNED = """
SELECT execution_id, token FROM execution_owners
WHERE owner = ? AND execution_id IN (SELECT value FROM json_each(?))"""
RENEW = "UPDATE execution_owners SET until = ? WHERE owner = ? RETURNING execution_id"
RELEASE = "DELETE FROM execution_owners WHERE owner = ?"
HOLDERS = "SELECT DISTINCT owner FROM execution_owners"
RELEASE_SOME = """
DELETE FROM execution_owners
WHERE owner = ? AND execution_id IN (SELECT value FROM json_each(?))"""
HELD_LEASE = "SELECT 1 FROM queue WHERE task_run_id = ? AND worker_id = ?"
HELD_NAMED_LEASE = "SELECT 1 FROM leases WHERE tenant = 'main' AND name = ? AND holder = ?"


def take(
    conn: sqlite3.Connection, ownership: Ownership, now: datetime, execution_ids: list[str]
) -> dict[str, str]:
    """Inside the caller's transaction: take what is free; return what ``owner`` owns."""
    if not execution_ids:
        return {}
    until, at = rows.ts(ownership.until), rows.ts(now)
    conn.executemany(TAKE, [(eid, ownership.owner, until, at) for eid in execution_ids])
    found = conn.execute(OWNED, (ownership.owner, json.dumps(execution_ids)))
    return {execution_id: token for execution_id, token in found}


def renew(conn: sqlite3.Connection, owner: str, until: datetime) -> set[str]:
    return {row[0] for row in conn.execute(RENEW, (rows.ts(until), owner)).fetchall()}


def release(conn: sqlite3.Connection, owner: str) -> int:
    return conn.execute(RELEASE, (owner,)).rowcount


def holders(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute(HOLDERS)]


def check(conn: sqlite3.Connection, fence: Fence) -> None:
    """Inside the batch's transaction, before its writes: raise Fenced unless the writer
    still holds everything the fence names; then drop the ownerships it releases."""
    if fence.executions:
        assert fence.executor is not None
        ids = sorted(set(fence.executions))
        held = conn.execute(OWNED, (fence.executor, json.dumps(ids))).fetchall()
        if len(held) < len(ids):
            raise Fenced(f"executor {fence.executor} no longer owns execution(s) {', '.join(ids)}")
    for task_run_id, worker_id in fence.leases:
        if conn.execute(HELD_LEASE, (task_run_id, worker_id)).fetchone() is None:
            raise Fenced(f"the lease of {worker_id} on TaskRun {task_run_id} has ended")
    lease = fence.named_lease
    if lease is not None and conn.execute(HELD_NAMED_LEASE, lease).fetchone() is None:
        raise Fenced(f"{lease[1]} no longer holds the lease {lease[0]}")
    if fence.release and fence.executor is not None:
        conn.execute(RELEASE_SOME, (fence.executor, json.dumps(sorted(set(fence.release)))))
