"""Execution logs: appended by anyone, read in id order.

Following works (a reader asking for ids after N never misses a line): ids are handed out at
insert, not at commit, so every writer of an execution's logs first takes a transaction-level
advisory lock on that execution (:func:`lock_params`, in one order), held until its lines are
visible. Within one execution, ids therefore grow in commit order.
"""

from __future__ import annotations

from typing import Any

from headway.errors import StoreError
from headway.execution import LogEntry
from headway.store.base import LogQuery
from headway.store.postgres import rows
from headway.store.postgres.connection import Conn
from headway.store.sqlite.logs import levels_from

_COLUMNS = (
    "tenant, execution_id, task_run_id, task_id, namespace, flow_id, attempt_number,"
    " level, message, timestamp"
)
# The lock of each execution given (its lock_key), in the order given.
LOCK_EXECUTIONS = """
SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(%b::text[]) AS k"""
# Every line at once, from one array per column (ids in the order given).
INSERT = f"""
INSERT INTO logs ({_COLUMNS}) SELECT * FROM unnest(
    %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::text[], %b::int[],
    %b::text[], %b::text[], %b::timestamptz[]
)"""
LIST = f"""
SELECT id, {_COLUMNS} FROM logs
WHERE execution_id = %(execution_id)s AND id > %(after_id)s
  AND (%(task_run_id)s::text IS NULL OR task_run_id = %(task_run_id)s)
  AND (%(levels)s::text[] IS NULL OR level = ANY(%(levels)s::text[]))
ORDER BY id"""


def lock_key(execution_id: str) -> str:
    return f"headway.logs\x1f{execution_id}"


def lock_params(entries: list[LogEntry]) -> list[tuple[object, ...]]:
    """The locks to take before writing ``entries`` (LOCK_EXECUTIONS): one per execution,
    in one order."""
    keys = [lock_key(e) for e in sorted({entry.execution_id for entry in entries})]
    return [(keys,)] if keys else []


def insert_params(entries: list[LogEntry]) -> list[tuple[object, ...]]:
    """The parameters of INSERT: one array per column."""
    return rows.columns(map(rows.log_params, entries), unique=False)


async def append_logs(conn: Conn, entries: list[LogEntry]) -> None:
    async with conn.pipeline(), conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(LOCK_EXECUTIONS, lock_params(entries))
        await cursor.executemany(INSERT, insert_params(entries))


async def list_logs(
    conn: Conn,
    execution_id: str,
    task_run_id: str | None,
    min_level: str | None,
    after_id: int,
) -> list[tuple[int, LogEntry]]:
    levels = None if min_level is None else levels_from(min_level)
    cursor = await conn.execute(
        LIST,
        {
            "execution_id": execution_id,
            "after_id": after_id,
            "task_run_id": task_run_id,
            "levels": levels,
        },
    )
    return [rows.log_entry(row) for row in await cursor.fetchall()]


async def search_logs(conn: Conn, query: LogQuery) -> tuple[list[LogEntry], int]:
    conditions = ["tenant = %s"]
    params: list[Any] = [query.tenant]
    if query.namespace:
        conditions.append("(namespace = %s OR (namespace >= %s AND namespace < %s))")
        params += [query.namespace, query.namespace + ".", query.namespace + "/"]
    for column, value in (("flow_id", query.flow_id), ("execution_id", query.execution_id)):
        if value is not None:
            conditions.append(f"{column} = %s")
            params.append(value)
    if query.min_level is not None:
        conditions.append("level = ANY(%s)")
        params.append(levels_from(query.min_level))
    if query.text:
        conditions.append("strpos(lower(message), lower(%s)) > 0")
        params.append(query.text)
    if query.after is not None:
        conditions.append("timestamp >= %s")
        params.append(query.after)
    if query.before is not None:
        conditions.append("timestamp < %s")
        params.append(query.before)
    if query.page < 1 or query.size < 1:
        raise StoreError(f"invalid page {query.page} of size {query.size}")
    where = " AND ".join(conditions)
    cursor = await conn.execute(f"SELECT COUNT(*) FROM logs WHERE {where}", params)
    row = await cursor.fetchone()
    total = int(row[0]) if row else 0
    cursor = await conn.execute(
        f"SELECT id, {_COLUMNS} FROM logs WHERE {where}"
        " ORDER BY timestamp DESC, id DESC LIMIT %s OFFSET %s",
        [*params, query.size, (query.page - 1) * query.size],
    )
    return [rows.log_entry(row)[1] for row in await cursor.fetchall()], total
