"""Logs of an execution: search, follow (SSE), download."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import PlainTextResponse

from headway.api import sse
from headway.api.context import ServerContext, get_ctx, next_change
from headway.api.requests import DATE, parse_date
from headway.engine.engine import settled
from headway.store.base import LogQuery

router = APIRouter(tags=["logs"])
Ctx = Annotated[ServerContext, Depends(get_ctx)]
Level = Literal["TRACE", "DEBUG", "INFO", "WARN", "ERROR"]


@router.get("/logs/search")
async def search_logs(
    ctx: Ctx,
    namespace: Annotated[str | None, Query(description="A namespace prefix")] = None,
    flowId: Annotated[str | None, Query()] = None,
    executionId: Annotated[str | None, Query()] = None,
    minLevel: Annotated[Level | None, Query()] = None,
    q: Annotated[str | None, Query(description="Text in the message (any case)")] = None,
    startDate: Annotated[str | None, Query(description="ISO-8601", json_schema_extra=DATE)] = None,
    endDate: Annotated[str | None, Query(description="ISO-8601", json_schema_extra=DATE)] = None,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> dict[str, Any]:
    """Log lines across executions, newest first."""
    query = LogQuery(
        tenant=ctx.tenant,
        namespace=namespace,
        flow_id=flowId,
        execution_id=executionId,
        min_level=minLevel,
        text=q,
        after=parse_date(startDate, "startDate"),
        before=parse_date(endDate, "endDate"),
        page=page,
        size=size,
    )
    found, total = await ctx.store.search_logs(query)
    return {"results": [entry.to_json() for entry in found], "total": total}


@router.get("/logs/{execution_id}")
async def execution_logs(
    execution_id: str,
    ctx: Ctx,
    minLevel: Annotated[Level | None, Query()] = None,
    taskRunId: Annotated[str | None, Query()] = None,
) -> list[dict[str, Any]]:
    await ctx.execution(execution_id)
    found = await ctx.store.list_logs(execution_id, task_run_id=taskRunId, min_level=minLevel)
    return [entry.to_json() for _, entry in found]


@router.get("/logs/{execution_id}/download", response_class=PlainTextResponse)
async def download_logs(
    execution_id: str,
    ctx: Ctx,
    minLevel: Annotated[Level | None, Query()] = None,
) -> Response:
    await ctx.execution(execution_id)
    found = await ctx.store.list_logs(execution_id, min_level=minLevel)
    text = "".join(entry.line() + "\n" for _, entry in found)
    return PlainTextResponse(
        text, headers={"Content-Disposition": f'attachment; filename="{execution_id}.log"'}
    )


@router.get("/logs/{execution_id}/follow", response_class=sse.EventStream)
async def follow_logs(
    execution_id: str,
    ctx: Ctx,
    minLevel: Annotated[Level | None, Query()] = None,
) -> Response:
    """Server-sent events: every log line of the execution, then new ones as they are
    written, until the execution ends or waits for a person (PAUSED)."""
    await ctx.execution(execution_id)

    async def events() -> AsyncIterator[str]:
        after = 0
        async with ctx.changes.watch(execution_id) as changed:
            while True:
                execution = await ctx.store.get_execution(execution_id)
                found = await ctx.store.list_logs(execution_id, min_level=minLevel, after_id=after)
                for log_id, entry in found:
                    after = log_id
                    yield sse.event("log", entry.to_json())
                if execution is None or settled(execution):
                    state = execution.current if execution else None
                    yield sse.event("end", {"id": execution_id, "state": state})
                    return
                await next_change(changed)

    return sse.stream(events())
