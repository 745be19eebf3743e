"""Access control: API tokens (by the SHA-256 of their secret) and the audit log."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime
from typing import Any

from headway.errors import StoreError
from headway.store.base import ApiToken, AuditEntry, AuditQuery
from headway.store.sqlite import rows

_TOKEN_COLUMNS = "tenant, id, name, role, namespace, created, created_by, expires_at, revoked_at"
INSERT_TOKEN = (
    f"INSERT INTO api_tokens ({_TOKEN_COLUMNS}, secret_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
TOKEN_BY_HASH = f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE tenant = ? AND secret_hash = ?"
TOKEN_BY_ID = f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE tenant = ? AND id = ?"
LIST_TOKENS = f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE tenant = ? ORDER BY created, id"
REVOKE_TOKEN = (
    "UPDATE api_tokens SET revoked_at = ? WHERE tenant = ? AND id = ? AND revoked_at IS NULL"
)

_AUDIT_COLUMNS = "id, tenant, at, actor, action, target, namespace, before, after"
INSERT_AUDIT = (
    "INSERT INTO audit_log (tenant, at, actor, action, target, namespace, before, after)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _token(row: rows.Row) -> ApiToken:
    tenant, token_id, name, role, namespace, created, created_by, expires, revoked = row
    return ApiToken(
        tenant=tenant,
        id=token_id,
        name=name,
        role=role,
        namespace=namespace,
        created=rows.from_ts(created),
        created_by=created_by,
        expires_at=rows.opt_from_ts(expires),
        revoked_at=rows.opt_from_ts(revoked),
    )


def create_token(conn: sqlite3.Connection, token: ApiToken, secret_hash: str) -> None:
    try:
        conn.execute(
            INSERT_TOKEN,
            (
                token.tenant,
                token.id,
                token.name,
                token.role,
                token.namespace,
                rows.ts(token.created),
                token.created_by,
                rows.opt_ts(token.expires_at),
                rows.opt_ts(token.revoked_at),
                secret_hash,
            ),
        )
    except sqlite3.IntegrityError as exc:
        raise StoreError(f"token '{token.id}' (or its secret) exists already") from exc


def token_by_hash(conn: sqlite3.Connection, tenant: str, secret_hash: str) -> ApiToken | None:
    row = conn.execute(TOKEN_BY_HASH, (tenant, secret_hash)).fetchone()
    return None if row is None else _token(row)


def list_tokens(conn: sqlite3.Connection, tenant: str) -> list[ApiToken]:
    return [_token(row) for row in conn.execute(LIST_TOKENS, (tenant,))]


def revoke_token(
    conn: sqlite3.Connection, tenant: str, token_id: str, now: datetime
) -> ApiToken | None:
    conn.execute(REVOKE_TOKEN, (rows.ts(now), tenant, token_id))
    row = conn.execute(TOKEN_BY_ID, (tenant, token_id)).fetchone()
    return None if row is None else _token(row)


def _json(value: Any, what: str) -> str | None:
    return None if value is None else rows.dumps(value, what)


def append_audit(conn: sqlite3.Connection, entry: AuditEntry) -> int:
    what = f"the audit entry of {entry.action} {entry.target}"
    cursor = conn.execute(
        INSERT_AUDIT,
        (
            entry.tenant,
            rows.ts(entry.at),
            entry.actor,
            entry.action,
            entry.target,
            entry.namespace,
            _json(entry.before, what),
            _json(entry.after, what),
        ),
    )
    return int(cursor.lastrowid or 0)


def _audit_where(query: AuditQuery) -> tuple[str, list[Any]]:
    conditions = ["tenant = ?"]
    params: list[Any] = [query.tenant]
    if query.namespace:
        # The namespace or any below it, as in executions.search_executions.
        ns = query.namespace
        conditions.append("(namespace = ? OR (namespace >= ? AND namespace < ?))")
        params += [ns, ns + ".", ns + "/"]
    if query.actor is not None:
        conditions.append("actor = ?")
        params.append(query.actor)
    if query.action:
        conditions.append("(action = ? OR (action >= ? AND action < ?))")
        params += [query.action, query.action + ".", query.action + "/"]
    if query.start_after is not None:
        conditions.append("at >= ?")
        params.append(rows.ts(query.start_after))
    if query.start_before is not None:
        conditions.append("at < ?")
        params.append(rows.ts(query.start_before))
    return " AND ".join(conditions), params


def _audit_entry(row: rows.Row) -> AuditEntry:
    entry_id, tenant, at, actor, action, target, namespace, before, after = row
    return AuditEntry(
        id=entry_id,
        tenant=tenant,
        at=rows.from_ts(at),
        actor=actor,
        action=action,
        target=target,
        namespace=namespace,
        before=None if before is None else json.loads(before),
        after=None if after is None else json.loads(after),
    )


def search_audit(conn: sqlite3.Connection, query: AuditQuery) -> tuple[list[AuditEntry], int]:
    where, params = _audit_where(query)
    total = conn.execute(f"SELECT COUNT(*) FROM audit_log WHERE {where}", params).fetchone()[0]
    found = conn.execute(
        f"SELECT {_AUDIT_COLUMNS} FROM audit_log WHERE {where}"
        " ORDER BY at DESC, id DESC LIMIT ? OFFSET ?",
        (*params, query.size, (query.page - 1) * query.size),
    ).fetchall()
    return [_audit_entry(row) for row in found], int(total)
