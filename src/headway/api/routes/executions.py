"""Executions: run a flow, search, get, follow (SSE), kill, resume, labels, delete.

Routes with a literal last segment (``/executions/{id}/resume``) are declared before
``POST /executions/{namespace}/{flowId}``, which would otherwise take them.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from headway.api import sse
from headway.api.context import ServerContext, get_ctx, next_change
from headway.api.errors import ApiError
from headway.api.requests import parse_date, parse_labels, read_inputs
from headway.engine import rerun
from headway.engine.engine import settled
from headway.errors import ConflictError
from headway.flows.inputs import resolve_inputs
from headway.plugins.flowable.pause import Pause
from headway.state import State
from headway.store.base import ExecutionQuery

router = APIRouter(tags=["executions"])
Ctx = Annotated[ServerContext, Depends(get_ctx)]
JSON = dict[str, Any]


@router.get("/executions/search")
async def search_executions(
    ctx: Ctx,
    namespace: Annotated[str | None, Query(description="A namespace prefix")] = None,
    flowId: Annotated[str | None, Query()] = None,
    state: Annotated[list[State] | None, Query()] = None,
    labels: Annotated[list[str] | None, Query(description="key:value")] = None,
    startDate: Annotated[str | None, Query(description="ISO-8601")] = None,
    endDate: Annotated[str | None, Query(description="ISO-8601")] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 25,
    sort: Annotated[str, Query(pattern=r"^state\.startDate:(asc|desc)$")] = (
        "state.startDate:desc"
    ),
) -> JSON:
    query = ExecutionQuery(
        tenant=ctx.tenant,
        namespace=namespace,
        flow_id=flowId,
        states=tuple(state or ()),
        labels=tuple(parse_labels(labels or []).items()),
        start_after=parse_date(startDate, "startDate"),
        start_before=parse_date(endDate, "endDate"),
        page=page,
        size=size,
        descending=sort.endswith("desc"),
    )
    found, total = await ctx.store.search_executions(query)
    return {"results": [ctx.execution_json(e) for e in found], "total": total}


@router.get("/executions/{execution_id}")
async def get_execution(execution_id: str, ctx: Ctx) -> JSON:
    return ctx.execution_json(await ctx.execution(execution_id))


@router.delete("/executions/{execution_id}", status_code=204)
async def delete_execution(execution_id: str, ctx: Ctx) -> Response:
    execution = await ctx.execution(execution_id)
    if not execution.current.terminal:
        raise ConflictError(
            f"execution '{execution_id}' is {execution.current.value}: kill it before deleting"
        )
    await ctx.store.delete_execution(execution_id)
    return Response(status_code=204)


@router.get("/executions/{execution_id}/follow")
async def follow_execution(execution_id: str, ctx: Ctx) -> Response:
    """Server-sent events: the execution each time it changes, until it ends or waits for
    a person (PAUSED); then an ``end`` event with its state."""
    await ctx.execution(execution_id)

    async def events() -> AsyncIterator[str]:
        last = ""
        async with ctx.changes.watch(execution_id) as changed:
            while True:
                execution = await ctx.store.get_execution(execution_id)
                if execution is None:
                    yield sse.event("deleted", {"id": execution_id})
                    return
                data = ctx.execution_json(execution)
                text = json.dumps(data, sort_keys=True)
                if text != last:
                    last = text
                    yield sse.event("execution", data)
                if settled(execution):
                    yield sse.event("end", {"id": execution_id, "state": execution.current})
                    return
                await next_change(changed)

    return sse.stream(events())


@router.delete("/executions/{execution_id}/kill", status_code=202)
async def kill_execution(execution_id: str, ctx: Ctx) -> JSON:
    """Kill an execution: its running tasks are stopped, its subflows killed."""
    execution = await ctx.execution(execution_id)
    if execution.current.terminal:
        raise ConflictError(f"execution '{execution_id}' already ended {execution.current.value}")
    await ctx.engine.executor.request(execution_id, "kill", {})
    return {"id": execution_id, "message": "kill requested"}


@router.post("/executions/{execution_id}/resume", status_code=204)
async def resume_execution(execution_id: str, request: Request, ctx: Ctx) -> Response:
    """Resume a paused execution, with the inputs of its pause's ``onResume``."""
    execution = await ctx.execution(execution_id)
    if execution.current is not State.PAUSED:
        raise ConflictError(f"execution '{execution_id}' is {execution.current.value}, not PAUSED")
    given = await read_inputs(request)
    flow = await ctx.engine.flows.revision(
        execution.namespace, execution.flow_id, execution.flow_revision
    )
    for tr in execution.task_runs:
        task = flow.find_task(tr.task_id) if tr.current is State.PAUSED else None
        if isinstance(task, Pause):
            resolve_inputs(task.on_resume, given)
    await ctx.engine.executor.request(execution_id, "resume", {"inputs": given})
    return Response(status_code=204)


@router.post("/executions/{execution_id}/restart")
async def restart_execution(execution_id: str, ctx: Ctx) -> JSON:
    """Run a FAILED or KILLED execution again from its failed TaskRuns (same execution)."""
    execution = await ctx.execution(execution_id)
    rerun.check_restartable(execution)
    await ctx.engine.executor.request(execution_id, "restart", {})
    return ctx.execution_json(execution)


@router.post("/executions/{execution_id}/replay")
async def replay_execution(
    execution_id: str,
    ctx: Ctx,
    taskRunId: Annotated[str | None, Query(description="Run again from this TaskRun")] = None,
) -> JSON:
    """A new execution with the same inputs that keeps what ran before ``taskRunId`` (by
    default its first TaskRun: everything runs again)."""
    execution = await ctx.execution(execution_id)
    if taskRunId is None:
        if not execution.task_runs:
            raise ConflictError(f"execution '{execution_id}' has no TaskRun to replay from")
        taskRunId = execution.task_runs[0].id
    replayed = await ctx.engine.executor.replay(execution_id, taskRunId)
    return ctx.execution_json(replayed)


class StateChange(BaseModel):
    taskRunId: str
    state: State


@router.post("/executions/{execution_id}/state")
async def change_task_run_state(execution_id: str, change: StateChange, ctx: Ctx) -> JSON:
    """Set an ended TaskRun's state (SUCCESS, WARNING or FAILED); the execution continues
    from there, as after a restart."""
    execution = await ctx.execution(execution_id)
    rerun.check_state_change(execution, change.taskRunId, change.state)
    payload = {"taskRunId": change.taskRunId, "state": change.state.value}
    await ctx.engine.executor.request(execution_id, "set_state", payload)
    return ctx.execution_json(execution)


class Label(BaseModel):
    key: str
    value: str


@router.post("/executions/{execution_id}/labels")
async def set_labels(execution_id: str, labels: list[Label], ctx: Ctx) -> JSON:
    """Add or replace labels of an execution."""
    await ctx.execution(execution_id)
    for label in labels:
        if not label.key.strip():
            raise ApiError(422, "a label's key must not be empty")
    given = {label.key: label.value for label in labels}
    await ctx.engine.executor.request(execution_id, "labels", {"labels": given})
    return {"id": execution_id, "labels": [label.model_dump() for label in labels]}


@router.post("/executions/{namespace}/{flow_id}")
async def run_flow(
    namespace: str,
    flow_id: str,
    request: Request,
    ctx: Ctx,
    wait: Annotated[bool, Query(description="Answer when the execution ends")] = False,
    labels: Annotated[list[str] | None, Query(description="key:value")] = None,
    revision: Annotated[int | None, Query(ge=1)] = None,
) -> JSON:
    """Start an execution of a flow with inputs (JSON, form or multipart with files)."""
    inputs = await read_inputs(request)
    flows = ctx.engine.flows
    if revision is None:
        flow, revision = await flows.latest(namespace, flow_id)
    else:
        flow = await flows.revision(namespace, flow_id, revision)
    execution = await ctx.engine.executor.create_execution(
        flow,
        revision,
        inputs,
        labels=parse_labels(labels or []),
        tenant=ctx.tenant,
    )
    if wait:
        execution = await ctx.engine.wait(execution.id)
    return ctx.execution_json(execution)
