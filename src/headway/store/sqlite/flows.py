"""Flow revisions.

A flow's revisions are rows; saving a different source adds the next revision. Deleting marks
the latest revision deleted: the flow then has no current revision (``get_flow`` without a
revision returns None) but its history stays readable, and saving it again adds the revision
after the deleted one.
"""

from __future__ import annotations

import sqlite3

from headway.execution import utcnow
from headway.store.base import FlowRecord
from headway.store.sqlite import rows
from headway.store.sqlite.connection import transaction

_COLUMNS = "tenant, namespace, id, revision, source, deleted, updated"
_KEY = "tenant = ? AND namespace = ? AND id = ?"

LATEST = f"SELECT {_COLUMNS} FROM flows WHERE {_KEY} ORDER BY revision DESC LIMIT 1"
REVISION = f"SELECT {_COLUMNS} FROM flows WHERE {_KEY} AND revision = ?"
REVISIONS = f"SELECT {_COLUMNS} FROM flows WHERE {_KEY} ORDER BY revision"
INSERT = f"INSERT INTO flows ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, 0, ?)"
MARK_DELETED = f"UPDATE flows SET deleted = 1, updated = ? WHERE {_KEY} AND revision = ?"
_LIST = f"""
SELECT {_COLUMNS} FROM flows AS f
WHERE tenant = ? {{namespace}}
  AND revision = (
    SELECT MAX(revision) FROM flows AS g
    WHERE g.tenant = f.tenant AND g.namespace = f.namespace AND g.id = f.id
  )
  AND deleted = 0
ORDER BY namespace, id"""
LIST_ALL = _LIST.format(namespace="")
LIST_IN_NAMESPACE = _LIST.format(namespace="AND namespace = ?")


def save_flow(
    conn: sqlite3.Connection, tenant: str, namespace: str, flow_id: str, source: str
) -> FlowRecord:
    key = (tenant, namespace, flow_id)
    with transaction(conn):
        latest = conn.execute(LATEST, key).fetchone()
        if latest is not None:
            record = rows.flow_record(latest)
            if not record.deleted and record.source == source:
                return record
        revision = 1 if latest is None else latest[3] + 1
        now = utcnow()
        conn.execute(INSERT, (*key, revision, source, rows.ts(now)))
    return FlowRecord(tenant, namespace, flow_id, revision, source, False, now)


def get_flow(
    conn: sqlite3.Connection, tenant: str, namespace: str, flow_id: str, revision: int | None
) -> FlowRecord | None:
    if revision is None:
        row = conn.execute(LATEST, (tenant, namespace, flow_id)).fetchone()
        if row is None or row[5]:
            return None
    else:
        row = conn.execute(REVISION, (tenant, namespace, flow_id, revision)).fetchone()
    return None if row is None else rows.flow_record(row)


def list_flows(conn: sqlite3.Connection, tenant: str, namespace: str | None) -> list[FlowRecord]:
    """Latest revision of each live flow of the tenant, or of exactly one namespace."""
    if namespace is None:
        cursor = conn.execute(LIST_ALL, (tenant,))
    else:
        cursor = conn.execute(LIST_IN_NAMESPACE, (tenant, namespace))
    return [rows.flow_record(row) for row in cursor]


def flow_revisions(
    conn: sqlite3.Connection, tenant: str, namespace: str, flow_id: str
) -> list[FlowRecord]:
    return [rows.flow_record(row) for row in conn.execute(REVISIONS, (tenant, namespace, flow_id))]


def delete_flow(conn: sqlite3.Connection, tenant: str, namespace: str, flow_id: str) -> bool:
    key = (tenant, namespace, flow_id)
    with transaction(conn):
        latest = conn.execute(LATEST, key).fetchone()
        if latest is None or latest[5]:
            return False
        conn.execute(MARK_DELETED, (rows.ts(utcnow()), *key, latest[3]))
    return True
