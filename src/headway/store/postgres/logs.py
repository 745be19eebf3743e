"""Execution logs: appended by anyone, read in id order (following works: see ``LIST``)."""

from __future__ import annotations

from headway.execution import LogEntry
from headway.store.postgres import rows
from headway.store.postgres.connection import Conn
from headway.store.sqlite.logs import levels_from

_COLUMNS = (
    "tenant, execution_id, task_run_id, task_id, namespace, flow_id, attempt_number,"
    " level, message, timestamp"
)
INSERT = f"INSERT INTO logs ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
# Ids are handed out when rows are inserted, not when they commit: a line of a smaller id may
# still be on its way. Only lines whose transaction ended before the oldest transaction still
# running began are returned, so that every line of a smaller id is already visible.
LIST = f"""
SELECT id, {_COLUMNS} FROM logs
WHERE execution_id = %(execution_id)s AND id > %(after_id)s
  AND tx < pg_snapshot_xmin(pg_current_snapshot())
  AND (%(task_run_id)s::text IS NULL OR task_run_id = %(task_run_id)s)
  AND (%(levels)s::text[] IS NULL OR level = ANY(%(levels)s::text[]))
ORDER BY id"""


async def append_logs(conn: Conn, entries: list[LogEntry]) -> None:
    params = [rows.log_params(entry) for entry in entries]
    async with conn.transaction(), conn.cursor() as cursor:
        await cursor.executemany(INSERT, params)


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
