"""Namespaced key-value entries with an optional expiry.

An entry is live until ``expires_at`` (exclusive). Expired rows stay until overwritten or
deleted but are never returned.
"""

from __future__ import annotations

import sqlite3
from datetime import datetime

from headway.execution import utcnow
from headway.store.base import KVEntry
from headway.store.sqlite import rows

_COLUMNS = "tenant, namespace, key, value, expires_at, updated"
_LIVE = "(expires_at IS NULL OR expires_at > ?)"

GET = f"SELECT {_COLUMNS} FROM kv WHERE tenant = ? AND namespace = ? AND key = ? AND {_LIVE}"
LIST = f"SELECT {_COLUMNS} FROM kv WHERE tenant = ? AND namespace = ? AND {_LIVE} ORDER BY key"
_PUT = f"""
INSERT INTO kv ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)
ON CONFLICT (tenant, namespace, key) DO UPDATE SET
    value = excluded.value, expires_at = excluded.expires_at, updated = excluded.updated"""
PUT = _PUT
# Replaces only an expired entry: a live one is left as it is (no row changes).
PUT_IF_ABSENT = _PUT + "\nWHERE kv.expires_at IS NOT NULL AND kv.expires_at <= excluded.updated"
DELETE = "DELETE FROM kv WHERE tenant = ? AND namespace = ? AND key = ?"


def kv_get(
    conn: sqlite3.Connection, tenant: str, namespace: str, key: str, now: datetime
) -> KVEntry | None:
    row = conn.execute(GET, (tenant, namespace, key, rows.ts(now))).fetchone()
    return None if row is None else rows.kv_entry(row)


def kv_put(conn: sqlite3.Connection, entry: KVEntry, overwrite: bool) -> bool:
    """Write ``entry``; its ``updated`` (default: now) is when the write happens, the instant
    at which ``overwrite=False`` checks that no live entry exists."""
    value = rows.dumps(entry.value, f"the value of KV '{entry.namespace}/{entry.key}'")
    updated = rows.ts(entry.updated or utcnow())
    params = (entry.tenant, entry.namespace, entry.key, value, rows.opt_ts(entry.expires_at))
    cursor = conn.execute(PUT if overwrite else PUT_IF_ABSENT, (*params, updated))
    return cursor.rowcount > 0


def kv_delete(conn: sqlite3.Connection, tenant: str, namespace: str, key: str) -> bool:
    return conn.execute(DELETE, (tenant, namespace, key)).rowcount > 0


def kv_list(conn: sqlite3.Connection, tenant: str, namespace: str, now: datetime) -> list[KVEntry]:
    return [rows.kv_entry(row) for row in conn.execute(LIST, (tenant, namespace, rows.ts(now)))]
