"""Which executor advances an execution, and the fence that a batch's writer still holds
what it writes for (see :class:`headway.store.base.Fence` and the ``headway_fence``
function of migration 0004)."""

from __future__ import annotations

from datetime import datetime

from headway.store.base import Fence, Ownership
from headway.store.postgres import rows
from headway.store.postgres.connection import Conn

# Taken when free or expired, in one order (two executors taking overlapping sets wait for
# each other instead of deadlocking); a new token when it changes hands (kept when its own
# owner takes it back after its lease ran out: nobody advanced it meanwhile). Then what the
# owner holds of them. Rows it holds already are neither written nor locked: an inbox read
# of executions it owns writes nothing (no WAL to flush at its commit).
TAKE = """
WITH wanted AS (
    SELECT DISTINCT unnest(%(ids)b::text[]) COLLATE "C" AS execution_id
), held AS (
    SELECT o.execution_id, o.token FROM execution_owners AS o JOIN wanted USING (execution_id)
    WHERE o.owner = %(owner)s AND o.until > %(now)s
), taken AS (
    INSERT INTO execution_owners (execution_id, owner, token, until)
    SELECT execution_id, %(owner)s, md5(random()::text), %(until)s FROM wanted
    WHERE execution_id NOT IN (SELECT execution_id FROM held)
    ORDER BY execution_id
    ON CONFLICT (execution_id) DO UPDATE SET
        token = CASE WHEN execution_owners.owner = excluded.owner
            THEN execution_owners.token ELSE excluded.token END,
        owner = excluded.owner, until = excluded.until
    WHERE execution_owners.until <= %(now)s
    RETURNING execution_id, token
)
SELECT execution_id, token FROM taken
UNION ALL
SELECT execution_id, token FROM held"""
RENEW = "UPDATE execution_owners SET until = %s WHERE owner = %s RETURNING execution_id"
RELEASE = "DELETE FROM execution_owners WHERE owner = %s"
HOLDERS = "SELECT DISTINCT owner FROM execution_owners"
RELEASE_SOME = "DELETE FROM execution_owners WHERE owner = %s AND execution_id = ANY(%b::text[])"
FENCE = "SELECT headway_fence(%s, %b::text[], %b::text[], %b::text[], %s, %s)"
# The SQLSTATE headway_fence raises.
FENCED = "HW001"


async def take(
    conn: Conn, ownership: Ownership, now: datetime, execution_ids: list[str]
) -> dict[str, str]:
    """Inside the caller's transaction: take what is free; return what ``owner`` owns."""
    if not execution_ids:
        return {}
    params = {
        "ids": execution_ids,
        "owner": ownership.owner,
        "until": rows.ts(ownership.until),
        "now": rows.ts(now),
    }
    cursor = await conn.execute(TAKE, params)
    return {execution_id: token for execution_id, token in await cursor.fetchall()}


async def renew(conn: Conn, owner: str, until: datetime) -> set[str]:
    cursor = await conn.execute(RENEW, (rows.ts(until), owner))
    return {row[0] for row in await cursor.fetchall()}


async def release(conn: Conn, owner: str) -> int:
    return (await conn.execute(RELEASE, (owner,))).rowcount


async def holders(conn: Conn) -> list[str]:
    return [row[0] for row in await (await conn.execute(HOLDERS)).fetchall()]


def steps(fence: Fence | None) -> list[tuple[str, list[tuple[object, ...]]]]:
    """The batch's first statement (the check) and its last (the releases)."""
    if fence is None:
        return []
    check = (
        fence.executor or "",
        sorted(set(fence.executions)),
        [task_run_id for task_run_id, _ in fence.leases],
        [worker_id for _, worker_id in fence.leases],
        *(fence.named_lease or (None, None)),
    )
    out: list[tuple[str, list[tuple[object, ...]]]] = [(FENCE, [check])]
    if fence.release and fence.executor is not None:
        out.append((RELEASE_SOME, [(fence.executor, sorted(set(fence.release)))]))
    return out
