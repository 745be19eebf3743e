"""API tokens (admin): list, create (the token is in this answer only), revoke.

An admin of some namespaces only manages tokens within them.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel

from headway.api import audit, tokens
from headway.api.auth import forbidden
from headway.api.context import ServerContext, get_ctx
from headway.api.errors import ApiError
from headway.api.roles import covers, normalise_prefix
from headway.durations import parse_duration
from headway.errors import NotFoundError
from headway.execution import utcnow
from headway.store.base import ApiToken

router = APIRouter(tags=["tokens"])
Ctx = Annotated[ServerContext, Depends(get_ctx)]


def _manages(request: Request, token_namespace: str) -> bool:
    return any(covers(p, token_namespace) for p in audit.principal_of(request).prefixes("admin"))


@router.get("/tokens")
async def list_tokens(request: Request, ctx: Ctx) -> list[dict[str, Any]]:
    now = utcnow()
    found = await ctx.store.list_tokens(ctx.tenant)
    return [tokens.token_json(t, now) for t in found if _manages(request, t.namespace)]


class NewToken(BaseModel):
    role: str
    namespace: str
    name: str = ""
    expires: str | None = None  # ISO-8601 duration, e.g. P90D


@router.post("/tokens", status_code=201)
async def create_token(body: NewToken, request: Request, ctx: Ctx) -> dict[str, Any]:
    """Create a token; its secret (``token``) is in this answer and nowhere else."""
    try:
        expires_in = parse_duration(body.expires) if body.expires else None
        namespace = normalise_prefix(body.namespace)
        principal = audit.principal_of(request)
        if not _manages(request, namespace):
            raise forbidden(principal, "admin", f"on namespace '{namespace or '*'}'")
        now = utcnow()
        token, secret = await tokens.issue(
            ctx.store,
            tenant=ctx.tenant,
            role=body.role,
            namespace=namespace,
            name=body.name,
            created_by=principal.name,
            now=now,
            expires_in=expires_in,
        )
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    shown = tokens.token_json(token, now)
    await audit.record(
        request, "token.create", token.id, namespace=token.namespace or None, after=shown
    )
    return {**shown, "token": secret}


async def _token(ctx: ServerContext, token_id: str) -> ApiToken:
    for token in await ctx.store.list_tokens(ctx.tenant):
        if token.id == token_id:
            return token
    raise NotFoundError(f"token '{token_id}' not found")


@router.delete("/tokens/{token_id}")
async def revoke_token(token_id: str, request: Request, ctx: Ctx) -> dict[str, Any]:
    token = await _token(ctx, token_id)
    if not _manages(request, token.namespace):
        raise forbidden(
            audit.principal_of(request), "admin", f"on namespace '{token.namespace or '*'}'"
        )
    now = utcnow()
    revoked = await ctx.store.revoke_token(ctx.tenant, token_id, now)
    if revoked is None:
        raise NotFoundError(f"token '{token_id}' not found")
    shown = tokens.token_json(revoked, now)
    await audit.record(
        request,
        "token.revoke",
        token_id,
        namespace=token.namespace or None,
        before=tokens.token_json(token, now),
        after=shown,
    )
    return shown
