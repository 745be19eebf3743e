"""Access control: API tokens (by the SHA-256 of their secret) and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import psycopg

from headway.errors import StoreError
from headway.store.base import ApiToken, AuditEntry, AuditQuery
from headway.store.postgres import rows
from headway.store.postgres.connection import Conn

_TOKEN_COLUMNS = "tenant, id, name, role, namespace, created, created_by, expires_at, revoked_at"
INSERT_TOKEN = (
    f"INSERT INTO api_tokens ({_TOKEN_COLUMNS}, secret_hash)"
    " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
)
TOKEN_BY_HASH = f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE tenant = %s AND secret_hash = %s"
LIST_TOKENS = f"SELECT {_TOKEN_COLUMNS} FROM api_tokens WHERE tenant = %s ORDER BY created, id"
# The token after the update: revoked now, or still with its first revocation.
REVOKE_TOKEN = f"""
WITH revoked AS (
    UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, %s)
    WHERE tenant = %s AND id = %s
    RETURNING {_TOKEN_COLUMNS}
)
SELECT * FROM revoked"""

_AUDIT_COLUMNS = "id, tenant, at, actor, action, target, namespace, before, after"
INSERT_AUDIT = """
INSERT INTO audit_log (tenant, at, actor, action, target, namespace, before, after)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"""


def _token(row: rows.Row) -> ApiToken:
    tenant, token_id, name, role, namespace, created, created_by, expires, revoked = row
    return ApiToken(
        tenant=tenant,
        id=token_id,
        name=name,
        role=role,
        namespace=namespace,
        created=created,
        created_by=created_by,
        expires_at=expires,
        revoked_at=revoked,
    )


async def create_token(conn: Conn, token: ApiToken, secret_hash: str) -> None:
    try:
        await conn.execute(
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
    except psycopg.errors.UniqueViolation as exc:
        raise StoreError(f"token '{token.id}' (or its secret) exists already") from exc


async def token_by_hash(conn: Conn, tenant: str, secret_hash: str) -> ApiToken | None:
    row = await (await conn.execute(TOKEN_BY_HASH, (tenant, secret_hash))).fetchone()
    return None if row is None else _token(row)


async def list_tokens(conn: Conn, tenant: str) -> list[ApiToken]:
    cursor = await conn.execute(LIST_TOKENS, (tenant,))
    return [_token(row) for row in await cursor.fetchall()]


async def revoke_token(conn: Conn, tenant: str, token_id: str, now: datetime) -> ApiToken | None:
    row = await (await conn.execute(REVOKE_TOKEN, (rows.ts(now), tenant, token_id))).fetchone()
    return None if row is None else _token(row)


def _json(value: Any, what: str) -> str | None:
    return None if value is None else rows.dumps(value, what)


async def append_audit(conn: Conn, entry: AuditEntry) -> int:
    what = f"the audit entry of {entry.action} {entry.target}"
    cursor = await conn.execute(
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
    row = await cursor.fetchone()
    return 0 if row is None else int(row[0])


def _audit_where(query: AuditQuery) -> tuple[str, list[Any]]:
    conditions = ["tenant = %s"]
    params: list[Any] = [query.tenant]
    if query.namespace:
        # The namespace or any below it, as in executions.search_executions.
        ns = query.namespace
        conditions.append("(namespace = %s OR (namespace >= %s AND namespace < %s))")
        params += [ns, ns + ".", ns + "/"]
    if query.actor is not None:
        conditions.append("actor = %s")
        params.append(query.actor)
    if query.action:
        conditions.append("(action = %s OR (action >= %s AND action < %s))")
        params += [query.action, query.action + ".", query.action + "/"]
    if query.start_after is not None:
        conditions.append("at >= %s")
        params.append(rows.ts(query.start_after))
    if query.start_before is not None:
        conditions.append("at < %s")
        params.append(rows.ts(query.start_before))
    return " AND ".join(conditions), params


def _audit_entry(row: rows.Row) -> AuditEntry:
    entry_id, tenant, at, actor, action, target, namespace, before, after = row
    return AuditEntry(
        id=entry_id,
        tenant=tenant,
        at=at,
        actor=actor,
        action=action,
        target=target,
        namespace=namespace,
        before=before,
        after=after,
    )


async def search_audit(conn: Conn, query: AuditQuery) -> tuple[list[AuditEntry], int]:
    where, params = _audit_where(query)
    total = await (
        await conn.execute(f"SELECT COUNT(*) FROM audit_log WHERE {where}", params)
    ).fetchone()
    cursor = await conn.execute(
        f"SELECT {_AUDIT_COLUMNS} FROM audit_log WHERE {where}"
        " ORDER BY at DESC, id DESC LIMIT %s OFFSET %s",
        (*params, query.size, (query.page - 1) * query.size),
    )
    found = [_audit_entry(row) for row in await cursor.fetchall()]
    return found, 0 if total is None else int(total[0])
