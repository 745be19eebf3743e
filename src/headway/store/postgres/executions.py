"""Reading and deleting executions (they are written by :mod:`.batch`).

An execution is a row (indexed columns plus the JSON of ``Execution.to_store()``) and its
TaskRuns are rows of ``task_runs`` in creation order (``seq``).
"""

from __future__ import annotations

import json
from typing import Any

from headway.errors import StoreError
from headway.execution import Execution
from headway.state import State
from headway.store.base import ExecutionChanges, ExecutionQuery
from headway.store.postgres import rows
from headway.store.postgres.connection import Conn

# An execution's row with its TaskRuns, in one statement (one snapshot, one round trip): the
# TaskRuns as a JSON array of arrays in creation order.
# A TaskRun as rows.task_run reads it.
_TASK_RUN = "t.id, t.execution_id, t.task_id, t.parent_task_run_id, t.value, t.iteration, t.data"
_TASK_RUNS = f"""(
    SELECT COALESCE(json_agg(json_build_array({_TASK_RUN}) ORDER BY t.seq), '[]'::json)
    FROM task_runs AS t WHERE t.execution_id = executions.id
)"""
_EXECUTION_COLUMNS = f"id, tenant, namespace, flow_id, flow_revision, data, {_TASK_RUNS}"
NON_TERMINAL = [s.value for s in State if not s.terminal]

GET_EXECUTION = f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE id = %s"
# The executions asked for, each with its TaskRuns written after the revision the reader
# knows (with their revisions) and the count of all its TaskRuns.
EXECUTION_CHANGES = f"""
SELECT e.id, e.tenant, e.namespace, e.flow_id, e.flow_revision, e.data, (
    SELECT COALESCE(json_agg(json_build_array({_TASK_RUN}, t.rev) ORDER BY t.seq), '[]'::json)
    FROM task_runs AS t WHERE t.execution_id = e.id AND t.rev > k.rev
), (SELECT COUNT(*) FROM task_runs AS t WHERE t.execution_id = e.id)
FROM unnest(%b::text[], %b::bigint[]) AS k(id, rev) JOIN executions AS e ON e.id = k.id"""
NON_TERMINAL_IDS = """
SELECT id FROM executions WHERE state = ANY(%s) ORDER BY start_date, id"""
_OF_FLOW = "tenant = %s AND namespace = %s AND flow_id = %s"
COUNT_OF_FLOW = f"SELECT COUNT(*) FROM executions WHERE {_OF_FLOW}"
COUNT_OF_FLOW_IN_STATES = f"SELECT COUNT(*) FROM executions WHERE {_OF_FLOW} AND state = ANY(%s)"
OLDEST_IN_STATE = f"""
SELECT id FROM executions WHERE {_OF_FLOW} AND state = %s ORDER BY start_date, id LIMIT 1"""
DELETE_EXECUTION = "DELETE FROM executions WHERE id = %s"
DELETE_ROWS_OF_EXECUTION = tuple(
    f"DELETE FROM {table} WHERE execution_id = %s"
    for table in ("task_runs", "queue", "events", "timers", "logs")
)


async def get_execution(conn: Conn, execution_id: str) -> Execution | None:
    row = await (await conn.execute(GET_EXECUTION, (execution_id,))).fetchone()
    return None if row is None else _execution(row)


async def execution_changes(conn: Conn, known: dict[str, int]) -> dict[str, ExecutionChanges]:
    cursor = await conn.execute(EXECUTION_CHANGES, (list(known), list(known.values())))
    out: dict[str, ExecutionChanges] = {}
    for *row, changed, count in await cursor.fetchall():
        execution = rows.execution(tuple(row), [rows.task_run(tuple(r[:-1])) for r in changed])
        revision = max([known[execution.id], *(r[-1] for r in changed)])
        out[execution.id] = ExecutionChanges(execution, revision, int(count))
    return out


def _execution(row: rows.Row) -> Execution:
    return rows.execution(row[:-1], [rows.task_run(tuple(r)) for r in row[-1]])


async def search_executions(conn: Conn, query: ExecutionQuery) -> tuple[list[Execution], int]:
    if query.page < 1 or query.size < 1:
        raise StoreError(f"page ({query.page}) and size ({query.size}) must be at least 1")
    where, params = _where(query)
    order = "DESC" if query.descending else "ASC"
    count = await conn.execute(f"SELECT COUNT(*) FROM executions WHERE {where}", params)
    total_row = await count.fetchone()
    cursor = await conn.execute(
        f"SELECT {_EXECUTION_COLUMNS} FROM executions WHERE {where}"
        f" ORDER BY start_date {order}, id {order} LIMIT %s OFFSET %s",
        (*params, query.size, (query.page - 1) * query.size),
    )
    page = [_execution(row) for row in await cursor.fetchall()]
    return page, 0 if total_row is None else int(total_row[0])


def _where(query: ExecutionQuery) -> tuple[str, list[Any]]:
    conditions = ["tenant = %s"]
    params: list[Any] = [query.tenant]
    if query.namespace:
        # The namespace or any below it: 'ns' matches 'ns' and 'ns.x', never 'nsx'. Ranges
        # of bytes (the column's collation is "C"): 'ns.' <= namespace < 'ns/' ('/' is the
        # character after '.').
        ns = query.namespace
        conditions.append("(namespace = %s OR (namespace >= %s AND namespace < %s))")
        params += [ns, ns + ".", ns + "/"]
    if query.flow_id is not None:
        conditions.append("flow_id = %s")
        params.append(query.flow_id)
    if query.states:
        conditions.append("state = ANY(%s)")
        params.append([s.value for s in query.states])
    for key, value in query.labels:
        conditions.append("labels @> %s::jsonb")
        params.append(json.dumps([{"key": key, "value": value}]))
    if query.start_after is not None:
        conditions.append("start_date >= %s")
        params.append(rows.ts(query.start_after))
    if query.start_before is not None:
        conditions.append("start_date < %s")
        params.append(rows.ts(query.start_before))
    return " AND ".join(conditions), params


async def non_terminal_execution_ids(conn: Conn) -> list[str]:
    cursor = await conn.execute(NON_TERMINAL_IDS, (NON_TERMINAL,))
    return [row[0] for row in await cursor.fetchall()]


async def count_executions(
    conn: Conn, tenant: str, namespace: str, flow_id: str, states: tuple[State, ...]
) -> int:
    """Executions of one flow in any of ``states`` (in any state when ``states`` is empty)."""
    if states:
        values = [s.value for s in states]
        cursor = await conn.execute(COUNT_OF_FLOW_IN_STATES, (tenant, namespace, flow_id, values))
    else:
        cursor = await conn.execute(COUNT_OF_FLOW, (tenant, namespace, flow_id))
    row = await cursor.fetchone()
    return 0 if row is None else int(row[0])


async def oldest_execution_in_state(
    conn: Conn, tenant: str, namespace: str, flow_id: str, state: State
) -> str | None:
    cursor = await conn.execute(OLDEST_IN_STATE, (tenant, namespace, flow_id, state.value))
    row = await cursor.fetchone()
    return None if row is None else str(row[0])


async def delete_execution(conn: Conn, execution_id: str) -> bool:
    async with conn.transaction():
        found = (await conn.execute(DELETE_EXECUTION, (execution_id,))).rowcount > 0
        for statement in DELETE_ROWS_OF_EXECUTION:
            await conn.execute(statement, (execution_id,))
    return found
