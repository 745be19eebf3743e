"""Namespaced key-value entries with an optional expiry (see :mod:`headway.store.sqlite.kv`)."""

from __future__ import annotations

from datetime import datetime

from headway.execution import utcnow
from headway.store.base import KVEntry
from headway.store.postgres import rows
from headway.store.postgres.connection import Conn

_COLUMNS = "tenant, namespace, key, value, expires_at, updated"
_LIVE = "(expires_at IS NULL OR expires_at > %s)"

GET = f"SELECT {_COLUMNS} FROM kv WHERE tenant = %s AND namespace = %s AND key = %s AND {_LIVE}"
LIST = f"""
SELECT {_COLUMNS} FROM kv WHERE tenant = %s AND namespace = %s AND {_LIVE} ORDER BY key"""
_PUT = f"""
INSERT INTO kv ({_COLUMNS}) VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (tenant, namespace, key) DO UPDATE SET
    value = excluded.value, expires_at = excluded.expires_at, updated = excluded.updated"""
PUT = _PUT
# Replaces only an expired entry: a live one is left as it is (no row changes).
PUT_IF_ABSENT = _PUT + "\nWHERE kv.expires_at IS NOT NULL AND kv.expires_at <= excluded.updated"
DELETE = "DELETE FROM kv WHERE tenant = %s AND namespace = %s AND key = %s"


async def kv_get(
    conn: Conn, tenant: str, namespace: str, key: str, now: datetime
) -> KVEntry | None:
    cursor = await conn.execute(GET, (tenant, namespace, key, rows.ts(now)))
    row = await cursor.fetchone()
    return None if row is None else rows.kv_entry(row)


async def kv_put(conn: Conn, entry: KVEntry, overwrite: bool) -> bool:
    """Write ``entry``; its ``updated`` (default: now) is when the write happens, the instant
    at which ``overwrite=False`` checks that no live entry exists."""
    value = rows.dumps(entry.value, f"the value of KV '{entry.namespace}/{entry.key}'")
    updated = rows.ts(entry.updated or utcnow())
    params = (entry.tenant, entry.namespace, entry.key, value, rows.opt_ts(entry.expires_at))
    cursor = await conn.execute(PUT if overwrite else PUT_IF_ABSENT, (*params, updated))
    return cursor.rowcount > 0


async def kv_delete(conn: Conn, tenant: str, namespace: str, key: str) -> bool:
    return (await conn.execute(DELETE, (tenant, namespace, key))).rowcount > 0


async def kv_list(conn: Conn, tenant: str, namespace: str, now: datetime) -> list[KVEntry]:
    cursor = await conn.execute(LIST, (tenant, namespace, rows.ts(now)))
    return [rows.kv_entry(row) for row in await cursor.fetchall()]
