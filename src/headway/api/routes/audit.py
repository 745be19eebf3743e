"""The audit log (admin only): every change, who made it, when, before and after."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from headway.api.audit import entry_json
from headway.api.context import ServerContext, get_ctx
from headway.api.requests import DATE, MAX_NUMBER, parse_date
from headway.store.base import AuditQuery

router = APIRouter(tags=["audit"])
Ctx = Annotated[ServerContext, Depends(get_ctx)]


@router.get("/audit/search")
async def search_audit(
    ctx: Ctx,
    namespace: Annotated[str | None, Query(description="A namespace prefix")] = None,
    actor: Annotated[str | None, Query(description="Who: token:<id>, a user, anonymous")] = None,
    action: Annotated[
        str | None, Query(description="An action or its prefix: flow, flow.update, kv...")
    ] = None,
    from_: Annotated[
        str | None, Query(alias="from", description="ISO-8601, inclusive", json_schema_extra=DATE)
    ] = None,
    to: Annotated[
        str | None, Query(description="ISO-8601, exclusive", json_schema_extra=DATE)
    ] = None,
    page: Annotated[int, Query(ge=1, le=MAX_NUMBER)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 25,
) -> dict[str, Any]:
    """Entries newest first. A caller who is admin of some namespaces only sees theirs."""
    query = AuditQuery(
        tenant=ctx.tenant,
        namespace=namespace or None,
        actor=actor or None,
        action=action or None,
        start_after=parse_date(from_, "from"),
        start_before=parse_date(to, "to"),
        page=page,
        size=size,
    )
    found, total = await ctx.store.search_audit(query)
    return {"results": [entry_json(e) for e in found], "total": total}
