"""API tokens: random secrets shown once, stored as their SHA-256.

A token is ``hw_`` followed by 32 random bytes (base64url), so a plain SHA-256 is a safe
hash: nobody can guess a preimage of a 256-bit random value, and a lookup by hash needs no
salt per row. The prefix lets secret scanners recognise a leaked token.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from headway.api.roles import check_role, normalise_prefix
from headway.execution import iso
from headway.store.base import ApiToken, Store

PREFIX = "hw_"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


async def issue(
    store: Store,
    *,
    tenant: str,
    role: str,
    namespace: str,
    name: str,
    created_by: str,
    now: datetime,
    expires_in: timedelta | None = None,
) -> tuple[ApiToken, str]:
    """Create a token; return it and its secret, which is stored nowhere."""
    if expires_in is not None and expires_in <= timedelta(0):
        raise ValueError("a token's lifetime must be positive")
    try:
        expires_at = None if expires_in is None else now + expires_in
    except OverflowError:
        raise ValueError("a token's lifetime ends after the year 9999") from None
    token_id = "tok_" + secrets.token_hex(6)
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        tenant=tenant,
        id=token_id,
        name=name or token_id,
        role=check_role(role),
        namespace=normalise_prefix(namespace),
        created=now,
        created_by=created_by,
        expires_at=expires_at,
    )
    await store.create_token(token, hash_secret(secret))
    return token, secret


def status(token: ApiToken, now: datetime) -> str:
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and now >= token.expires_at:
        return "expired"
    return "active"


def token_json(token: ApiToken, now: datetime) -> dict[str, Any]:
    """A token as the API and ``headway tokens list --json`` show it (never its secret)."""
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role,
        "namespace": token.namespace or "*",
        "status": status(token, now),
        "createdBy": token.created_by,
        "created": iso(token.created),
        "expiresAt": iso(token.expires_at) if token.expires_at else None,
        "revokedAt": iso(token.revoked_at) if token.revoked_at else None,
    }
