"""Flow revisions (see :mod:`headway.store.sqlite.flows` for the rules).

Saving takes a transaction-level advisory lock on the flow's key, so that two processes
saving the same flow at once add one revision after the other.
"""

from __future__ import annotations

from headway.execution import utcnow
from headway.store.base import FlowRecord
from headway.store.postgres import rows
from headway.store.postgres.connection import Conn

_COLUMNS = "tenant, namespace, id, revision, source, deleted, updated"
_KEY = "tenant = %s AND namespace = %s AND id = %s"

LOCK_FLOW = "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))"
LATEST = f"SELECT {_COLUMNS} FROM flows WHERE {_KEY} ORDER BY revision DESC LIMIT 1"
REVISION = f"SELECT {_COLUMNS} FROM flows WHERE {_KEY} AND revision = %s"
REVISIONS = f"SELECT {_COLUMNS} FROM flows WHERE {_KEY} ORDER BY revision"
INSERT = f"INSERT INTO flows ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, false, %s)"
MARK_DELETED = f"UPDATE flows SET deleted = true, updated = %s WHERE {_KEY} AND revision = %s"
_LIST = f"""
SELECT DISTINCT ON (namespace, id) {_COLUMNS} FROM flows
WHERE tenant = %s {{namespace}}
ORDER BY namespace, id, revision DESC"""
LIST_ALL = f"SELECT * FROM ({_LIST.format(namespace='')}) AS latest WHERE NOT deleted"
LIST_IN_NAMESPACE = (
    f"SELECT * FROM ({_LIST.format(namespace='AND namespace = %s')}) AS latest WHERE NOT deleted"
)


def _lock_key(tenant: str, namespace: str, flow_id: str) -> str:
    return f"headway.flow\x1f{tenant}\x1f{namespace}\x1f{flow_id}"


async def save_flow(
    conn: Conn, tenant: str, namespace: str, flow_id: str, source: str
) -> FlowRecord:
    key = (tenant, namespace, flow_id)
    async with conn.transaction():
        await conn.execute(LOCK_FLOW, (_lock_key(*key),))
        latest = await (await conn.execute(LATEST, key)).fetchone()
        if latest is not None:
            record = rows.flow_record(latest)
            if not record.deleted and record.source == source:
                return record
        revision = 1 if latest is None else latest[3] + 1
        now = utcnow()
        await conn.execute(INSERT, (*key, revision, source, now))
    return FlowRecord(tenant, namespace, flow_id, revision, source, False, now)


async def get_flow(
    conn: Conn, tenant: str, namespace: str, flow_id: str, revision: int | None
) -> FlowRecord | None:
    if revision is None:
        row = await (await conn.execute(LATEST, (tenant, namespace, flow_id))).fetchone()
        if row is None or row[5]:
            return None
    else:
        cursor = await conn.execute(REVISION, (tenant, namespace, flow_id, revision))
        row = await cursor.fetchone()
    return None if row is None else rows.flow_record(row)


async def list_flows(conn: Conn, tenant: str, namespace: str | None) -> list[FlowRecord]:
    """Latest revision of each live flow of the tenant, or of exactly one namespace."""
    if namespace is None:
        cursor = await conn.execute(LIST_ALL, (tenant,))
    else:
        cursor = await conn.execute(LIST_IN_NAMESPACE, (tenant, namespace))
    return [rows.flow_record(row) for row in await cursor.fetchall()]


async def flow_revisions(conn: Conn, tenant: str, namespace: str, flow_id: str) -> list[FlowRecord]:
    cursor = await conn.execute(REVISIONS, (tenant, namespace, flow_id))
    return [rows.flow_record(row) for row in await cursor.fetchall()]


async def delete_flow(conn: Conn, tenant: str, namespace: str, flow_id: str) -> bool:
    key = (tenant, namespace, flow_id)
    async with conn.transaction():
        await conn.execute(LOCK_FLOW, (_lock_key(*key),))
        latest = await (await conn.execute(LATEST, key)).fetchone()
        if latest is None or latest[5]:
            return False
        await conn.execute(MARK_DELETED, (utcnow(), *key, latest[3]))
    return True
