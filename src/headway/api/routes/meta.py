"""What clients ask about the server itself: the flow language's JSON Schema (for editors),
who the caller is (for a UI that hides what a role cannot do), and the workers of the
cluster."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from headway.api.context import ServerContext, get_ctx
from headway.api.roles import ANONYMOUS, Principal
from headway.execution import utcnow
from headway.flows.schema import flow_json_schema

router = APIRouter(tags=["server"])
Ctx = Annotated[ServerContext, Depends(get_ctx)]


@router.get("/plugins/schemas/flow")
async def flow_schema(ctx: Ctx) -> dict[str, Any]:
    """The JSON Schema of a flow, with every task type installed (as `headway schema`)."""
    return flow_json_schema(ctx.engine.registry)


@router.get("/me")
async def me(request: Request) -> dict[str, Any]:
    """The caller: its name and grants (role and namespace prefix; '' is every namespace)."""
    principal: Principal = getattr(request.state, "principal", ANONYMOUS)
    return {
        "name": principal.name,
        "grants": [{"role": g.role, "namespace": g.namespace} for g in principal.grants],
    }


@router.get("/workers")
async def workers(ctx: Ctx) -> dict[str, Any]:
    """The registered workers (every `headway worker` and server with a worker) with their
    group, slots and last heartbeat; `alive`: a heartbeat within a lease."""
    now = utcnow()
    found = await ctx.store.workers()
    results = [w.to_json(now, ctx.settings.lease_seconds) for w in found]
    return {"results": results, "total": len(results)}
