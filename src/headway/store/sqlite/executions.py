"""Reading and deleting executions (they are written by :mod:`.batch`).

An execution is a row (indexed columns plus the JSON of ``Execution.to_store()``) and its
TaskRuns are rows of ``task_runs`` in creation order (``seq``).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from headway.errors import StoreError
from headway.execution import Execution, TaskRun
from headway.state import State
from headway.store.base import ExecutionChanges, ExecutionQuery
from headway.store.sqlite import rows
from headway.store.sqlite.connection import transaction

_EXECUTION_COLUMNS = "id, tenant, namespace, flow_id, flow_revision, data"
_TASK_RUN_COLUMNS = "id, execution_id, task_id, parent_task_run_id, value, iteration, data"
_NON_TERMINAL = ", ".join(f"'{s.value}'" for s in State if not s.terminal)

GET_EXECUTION = f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE id = ?"
TASK_RUNS_OF = f"SELECT {_TASK_RUN_COLUMNS} FROM task_runs WHERE execution_id = ? ORDER BY seq"
TASK_RUNS_OF_MANY = f"""
SELECT {_TASK_RUN_COLUMNS} FROM task_runs
WHERE execution_id IN (SELECT value FROM json_each(?))
ORDER BY execution_id, seq"""
NON_TERMINAL_IDS = f"""
SELECT id FROM executions WHERE state IN ({_NON_TERMINAL}) ORDER BY start_date, id"""
_OF_FLOW = "tenant = ? AND namespace = ? AND flow_id = ?"
COUNT_OF_FLOW = f"SELECT COUNT(*) FROM executions WHERE {_OF_FLOW}"
COUNT_OF_FLOW_IN_STATES = f"""
SELECT COUNT(*) FROM executions
WHERE {_OF_FLOW} AND state IN (SELECT value FROM json_each(?))"""
OLDEST_IN_STATE = f"""
SELECT id FROM executions WHERE {_OF_FLOW} AND state = ? ORDER BY start_date, id LIMIT 1"""
DELETE_EXECUTION = "DELETE FROM executions WHERE id = ?"
DELETE_ROWS_OF_EXECUTION = tuple(
    f"DELETE FROM {table} WHERE execution_id = ?"
    for table in ("task_runs", "queue", "events", "timers", "logs")
)
# One condition per label of the query: every label must be present.
_HAS_LABEL = """EXISTS (
    SELECT 1 FROM json_each(executions.labels) AS label
    WHERE json_extract(label.value, '$.key') = ? AND json_extract(label.value, '$.value') = ?
)"""


def get_execution(conn: sqlite3.Connection, execution_id: str) -> Execution | None:
    row = conn.execute(GET_EXECUTION, (execution_id,)).fetchone()
    if row is None:
        return None
    task_runs = [rows.task_run(r) for r in conn.execute(TASK_RUNS_OF, (execution_id,))]
    return rows.execution(row, task_runs)


def execution_changes(
    conn: sqlite3.Connection, known: dict[str, int]
) -> dict[str, ExecutionChanges]:
    """Without revisions: each execution whole, at revision 0."""
    found = (get_execution(conn, execution_id) for execution_id in known)
    return {
        execution.id: ExecutionChanges(execution, 0, len(execution.task_runs))
        for execution in found
        if execution is not None
    }


def search_executions(
    conn: sqlite3.Connection, query: ExecutionQuery
) -> tuple[list[Execution], int]:
    if query.page < 1 or query.size < 1:
        raise StoreError(f"page ({query.page}) and size ({query.size}) must be at least 1")
    where, params = _where(query)
    total: int = conn.execute(f"SELECT COUNT(*) FROM executions WHERE {where}", params).fetchone()[
        0
    ]
    order = "DESC" if query.descending else "ASC"
    page = conn.execute(
        f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE {where}"
        f" ORDER BY start_date {order}, id {order} LIMIT ? OFFSET ?",
        (*params, query.size, (query.page - 1) * query.size),
    ).fetchall()
    return _with_task_runs(conn, page), total


def _where(query: ExecutionQuery) -> tuple[str, list[Any]]:
    conditions = ["tenant = ?"]
    params: list[Any] = [query.tenant]
    if query.namespace:
        # The namespace or any below it: 'ns' matches 'ns' and 'ns.x', never 'nsx'. Written
        # as ranges so that the index serves it: 'ns' <= namespace < 'ns/' ('/' is the
        # character after '.'), then either 'ns' itself or from 'ns.' on.
        ns = query.namespace
        conditions.append("namespace >= ? AND namespace < ? AND (namespace = ? OR namespace >= ?)")
        params += [ns, ns + "/", ns, ns + "."]
    if query.flow_id is not None:
        conditions.append("flow_id = ?")
        params.append(query.flow_id)
    if query.states:
        # Placeholders, not json_each: SQLite then uses the index on state.
        conditions.append(f"state IN ({', '.join('?' * len(query.states))})")
        params += [s.value for s in query.states]
    for key, value in query.labels:
        conditions.append(_HAS_LABEL)
        params += [key, value]
    if query.start_after is not None:
        conditions.append("start_date >= ?")
        params.append(rows.ts(query.start_after))
    if query.start_before is not None:
        conditions.append("start_date < ?")
        params.append(rows.ts(query.start_before))
    return " AND ".join(conditions), params


def _with_task_runs(conn: sqlite3.Connection, page: list[rows.Row]) -> list[Execution]:
    if not page:
        return []
    by_execution: dict[str, list[TaskRun]] = {row[0]: [] for row in page}
    ids = json.dumps(list(by_execution))
    for row in conn.execute(TASK_RUNS_OF_MANY, (ids,)):
        by_execution[row[1]].append(rows.task_run(row))
    return [rows.execution(row, by_execution[row[0]]) for row in page]


def non_terminal_execution_ids(conn: sqlite3.Connection) -> list[str]:
    return [row[0] for row in conn.execute(NON_TERMINAL_IDS)]


def count_executions(
    conn: sqlite3.Connection,
    tenant: str,
    namespace: str,
    flow_id: str,
    states: tuple[State, ...],
) -> int:
    """Executions of one flow in any of ``states`` (in any state when ``states`` is empty)."""
    if states:
        states_json = json.dumps([s.value for s in states])
        row = conn.execute(COUNT_OF_FLOW_IN_STATES, (tenant, namespace, flow_id, states_json))
    else:
        row = conn.execute(COUNT_OF_FLOW, (tenant, namespace, flow_id))
    count: int = row.fetchone()[0]
    return count


def oldest_execution_in_state(
    conn: sqlite3.Connection, tenant: str, namespace: str, flow_id: str, state: State
) -> str | None:
    row = conn.execute(OLDEST_IN_STATE, (tenant, namespace, flow_id, state.value)).fetchone()
    return None if row is None else str(row[0])


def delete_execution(conn: sqlite3.Connection, execution_id: str) -> bool:
    with transaction(conn):
        found = conn.execute(DELETE_EXECUTION, (execution_id,)).rowcount > 0
        for statement in DELETE_ROWS_OF_EXECUTION:
            conn.execute(statement, (execution_id,))
    return found
