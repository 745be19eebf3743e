"""Execution logs: appended by anyone, read in id order (ids only grow: following works)."""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from headway.errors import StoreError
from headway.execution import LogEntry
from headway.store.base import LogQuery
from headway.store.sqlite import rows
from headway.store.sqlite.connection import transaction

LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR")
_ALIASES = {"WARNING": "WARN"}

_COLUMNS = (
    "tenant, execution_id, task_run_id, task_id, namespace, flow_id, attempt_number,"
    " level, message, timestamp"
)
INSERT = f"INSERT INTO logs ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
LIST = f"""
SELECT id, {_COLUMNS} FROM logs
WHERE execution_id = ? AND id > ?
  AND (?3 IS NULL OR task_run_id = ?3)
  AND (?4 IS NULL OR level IN (SELECT value FROM json_each(?4)))
ORDER BY id"""


def append_logs(conn: sqlite3.Connection, entries: list[LogEntry]) -> None:
    params = [rows.log_params(entry) for entry in entries]
    with transaction(conn):
        conn.executemany(INSERT, params)


def list_logs(
    conn: sqlite3.Connection,
    execution_id: str,
    task_run_id: str | None,
    min_level: str | None,
    after_id: int,
) -> list[tuple[int, LogEntry]]:
    levels = None if min_level is None else json.dumps(levels_from(min_level))
    cursor = conn.execute(LIST, (execution_id, after_id, task_run_id, levels))
    return [rows.log_entry(row) for row in cursor]


def levels_from(min_level: str) -> list[str]:
    """The levels at or above ``min_level``: 'WARN' gives WARN and ERROR."""
    level = min_level.upper()
    level = _ALIASES.get(level, level)
    if level not in LEVELS:
        raise StoreError(f"unknown log level '{min_level}' (expected one of {', '.join(LEVELS)})")
    return list(LEVELS[LEVELS.index(level) :])


def search_logs(conn: sqlite3.Connection, query: LogQuery) -> tuple[list[LogEntry], int]:
    conditions = ["tenant = ?"]
    params: list[Any] = [query.tenant]
    if query.namespace:
        conditions.append("(namespace = ? OR (namespace >= ? AND namespace < ?))")
        params += [query.namespace, query.namespace + ".", query.namespace + "/"]
    for column, value in (("flow_id", query.flow_id), ("execution_id", query.execution_id)):
        if value is not None:
            conditions.append(f"{column} = ?")
            params.append(value)
    if query.min_level is not None:
        conditions.append("level IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(levels_from(query.min_level)))
    if query.text:
        conditions.append("instr(lower(message), lower(?)) > 0")
        params.append(query.text)
    if query.after is not None:
        conditions.append("timestamp >= ?")
        params.append(rows.ts(query.after))
    if query.before is not None:
        conditions.append("timestamp < ?")
        params.append(rows.ts(query.before))
    if query.page < 1 or query.size < 1:
        raise StoreError(f"invalid page {query.page} of size {query.size}")
    where = " AND ".join(conditions)
    total: int = conn.execute(f"SELECT COUNT(*) FROM logs WHERE {where}", params).fetchone()[0]
    cursor = conn.execute(
        f"SELECT id, {_COLUMNS} FROM logs WHERE {where}"
        " ORDER BY timestamp DESC, id DESC LIMIT ? OFFSET ?",
        [*params, query.size, (query.page - 1) * query.size],
    )
    return [rows.log_entry(row)[1] for row in cursor], total
