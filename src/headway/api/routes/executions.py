"""Executions: run a flow, search, get, follow (SSE), kill, resume, labels, delete.

Routes with a literal last segment (``/executions/{id}/resume``) are declared before
``POST /executions/{namespace}/{flowId}``, which would otherwise take them.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from headway.api import sse
from headway.api.context import ServerContext, get_ctx, next_change
from headway.api.errors import BODY_RESPONSES, ApiError
from headway.api.requests import (
    DATE,
    INPUTS_BODY,
    MAX_NUMBER,
    body_doc,
    parse_date,
    parse_labels,
    read_inputs,
)
from headway.engine import rerun
from headway.engine.engine import settled
from headway.engine.view import ExecutionView
from headway.errors import ConflictError, HeadwayError, NotFoundError
from headway.execution import utcnow
from headway.flows.inputs import resolve_inputs
from headway.flows.topology import topology
from headway.plugins.flowable.pause import Pause
from headway.state import State
from headway.storage import FileUpload
from headway.store.base import ExecutionQuery

router = APIRouter(tags=["executions"])
Ctx = Annotated[ServerContext, Depends(get_ctx)]
JSON = dict[str, Any]


class Ids(BaseModel):
    ids: list[str]


def _search_params(
    namespace: Annotated[str | None, Query(description="A namespace prefix")] = None,
    flowId: Annotated[str | None, Query()] = None,
    state: Annotated[list[State] | None, Query()] = None,
    labels: Annotated[list[str] | None, Query(description="key:value")] = None,
    startDate: Annotated[str | None, Query(description="ISO-8601", json_schema_extra=DATE)] = None,
    endDate: Annotated[str | None, Query(description="ISO-8601", json_schema_extra=DATE)] = None,
) -> dict[str, Any]:
    return {
        "namespace": namespace,
        "flow_id": flowId,
        "states": tuple(state or ()),
        "labels": tuple(parse_labels(labels or []).items()),
        "start_after": parse_date(startDate, "startDate"),
        "start_before": parse_date(endDate, "endDate"),
    }


SearchParams = Annotated[dict[str, Any], Depends(_search_params)]
# A query-wide action reaches at most this many executions per request.
BULK_LIMIT = 1000


async def _ids_of_query(ctx: ServerContext, params: dict[str, Any]) -> list[str]:
    found, _ = await ctx.store.search_executions(
        ExecutionQuery(tenant=ctx.tenant, size=BULK_LIMIT, **params)
    )
    return [e.id for e in found]


async def _bulk(ctx: ServerContext, ids: list[str], action: str) -> JSON:
    """Apply an action to each execution; say which could not take it and why."""
    if len(ids) > BULK_LIMIT:
        raise ApiError(422, f"at most {BULK_LIMIT} executions per request, got {len(ids)}")
    done, errors = 0, []
    for execution_id in ids:
        try:
            execution = await ctx.execution(execution_id)
            if action == "kill":
                if execution.current.terminal:
                    raise ConflictError(f"already ended {execution.current.value}")
                await ctx.engine.executor.request(execution_id, "kill", {})
            elif action == "restart":
                rerun.check_restartable(execution)
                await ctx.engine.executor.request(execution_id, "restart", {})
            else:
                if not execution.current.terminal:
                    raise ConflictError(f"is {execution.current.value}: kill it first")
                await ctx.store.delete_execution(execution_id)
            done += 1
        except HeadwayError as exc:
            errors.append({"id": execution_id, "message": exc.message})
    return {"count": done, "errors": errors}


@router.delete("/executions/by-ids")
async def delete_by_ids(body: Ids, ctx: Ctx) -> JSON:
    """Delete ended executions; the others are listed in ``errors``."""
    return await _bulk(ctx, body.ids, "delete")


@router.delete("/executions/by-query")
async def delete_by_query(params: SearchParams, ctx: Ctx) -> JSON:
    return await _bulk(ctx, await _ids_of_query(ctx, params), "delete")


@router.delete("/executions/kill/by-ids")
async def kill_by_ids(body: Ids, ctx: Ctx) -> JSON:
    return await _bulk(ctx, body.ids, "kill")


@router.delete("/executions/kill/by-query")
async def kill_by_query(params: SearchParams, ctx: Ctx) -> JSON:
    return await _bulk(ctx, await _ids_of_query(ctx, params), "kill")


@router.post("/executions/restart/by-ids")
async def restart_by_ids(body: Ids, ctx: Ctx) -> JSON:
    return await _bulk(ctx, body.ids, "restart")


@router.post("/executions/restart/by-query")
async def restart_by_query(params: SearchParams, ctx: Ctx) -> JSON:
    return await _bulk(ctx, await _ids_of_query(ctx, params), "restart")


@router.get("/executions/search")
async def search_executions(
    params: SearchParams,
    ctx: Ctx,
    page: Annotated[int, Query(ge=1, le=MAX_NUMBER)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 25,
    sort: Annotated[str, Query(pattern=r"^state\.startDate:(asc|desc)$")] = (
        "state.startDate:desc"
    ),
) -> JSON:
    """Executions by namespace (prefix), flow, states, labels (``key:value``) and start
    date, a page at a time."""
    query = ExecutionQuery(
        tenant=ctx.tenant, page=page, size=size, descending=sort.endswith("desc"), **params
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


@router.get("/executions/{execution_id}/follow", response_class=sse.EventStream)
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


@router.post(
    "/executions/{execution_id}/resume",
    status_code=204,
    openapi_extra=INPUTS_BODY,
    responses=BODY_RESPONSES,
)
async def resume_execution(execution_id: str, request: Request, ctx: Ctx) -> Response:
    """Resume a paused execution, with the inputs of its pause's ``onResume``."""
    execution = await ctx.execution(execution_id)
    if execution.current is not State.PAUSED:
        raise ConflictError(f"execution '{execution_id}' is {execution.current.value}, not PAUSED")
    given = await read_inputs(request)
    for name, value in given.items():
        if isinstance(value, FileUpload):  # the resume event holds values only
            raise ApiError(422, f"input '{name}': a file cannot be given when resuming")
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


@router.post("/executions/{execution_id}/pause", status_code=202)
async def pause_execution(execution_id: str, ctx: Ctx) -> JSON:
    """Pause a running execution: running tasks finish, no new task starts until it is
    resumed."""
    execution = await ctx.execution(execution_id)
    if execution.current is not State.RUNNING:
        raise ConflictError(f"execution '{execution_id}' is {execution.current.value}, not RUNNING")
    await ctx.engine.executor.request(execution_id, "pause", {})
    return {"id": execution_id, "message": "pause requested"}


@router.post("/executions/{execution_id}/force-run", status_code=202)
async def force_run(execution_id: str, ctx: Ctx) -> JSON:
    """Start a CREATED or QUEUED execution now, despite its flow's concurrency limit."""
    execution = await ctx.execution(execution_id)
    if execution.current not in (State.CREATED, State.QUEUED):
        raise ConflictError(f"execution '{execution_id}' is {execution.current.value}, not QUEUED")
    await ctx.engine.executor.request(execution_id, "force_run", {})
    return {"id": execution_id, "message": "start requested"}


@router.post("/executions/{execution_id}/unqueue", status_code=202)
async def unqueue(
    execution_id: str,
    ctx: Ctx,
    state: Annotated[
        Literal["RUNNING", "KILLED"], Query(description="Start it now, or end it KILLED")
    ] = "RUNNING",
) -> JSON:
    """Take a QUEUED execution out of its flow's queue: start it now or end it."""
    execution = await ctx.execution(execution_id)
    if execution.current is not State.QUEUED:
        raise ConflictError(f"execution '{execution_id}' is {execution.current.value}, not QUEUED")
    kind = "force_run" if state == "RUNNING" else "kill"
    await ctx.engine.executor.request(execution_id, kind, {})
    return {"id": execution_id, "message": f"unqueued: {state.lower()} requested"}


@router.get("/metrics/{execution_id}")
async def execution_metrics(execution_id: str, ctx: Ctx) -> list[JSON]:
    """The metrics the execution's TaskRuns recorded (counters and timers), in order."""
    execution = await ctx.execution(execution_id)
    return [
        {"taskRunId": tr.id, "taskId": tr.task_id, "taskRunValue": tr.value, **metric}
        for tr in execution.task_runs
        for metric in tr.extra.get("metrics", [])
    ]


@router.get("/executions/{execution_id}/graph")
async def execution_graph(execution_id: str, ctx: Ctx) -> JSON:
    """The topology of the execution's flow revision, each node with its TaskRuns (id,
    value, state): the flow's graph coloured by what ran."""
    execution = await ctx.execution(execution_id)
    flow = await ctx.engine.flows.revision(
        execution.namespace, execution.flow_id, execution.flow_revision
    )
    graph = topology(flow).to_json()
    runs: dict[str, list[JSON]] = {}
    for tr in execution.task_runs:
        runs.setdefault(tr.task_id, []).append(
            {"id": tr.id, "value": tr.value, "state": tr.current.value}
        )
    for node in graph["nodes"]:
        node["taskRuns"] = runs.get(node["id"], [])
    return graph


@router.post(
    "/executions/{execution_id}/eval/{task_run_id}",
    openapi_extra=body_doc({"text/plain": {"schema": {"type": "string"}}}, required=True),
)
async def evaluate_expression(
    execution_id: str, task_run_id: str, request: Request, ctx: Ctx
) -> JSON:
    """The expression console: render the body (an expression or a template) as the
    TaskRun sees it. Secrets are masked in the result."""
    execution = await ctx.execution(execution_id)
    expression = (await request.body()).decode("utf-8", errors="replace")
    if not expression.strip():
        raise ApiError(422, "the body is empty: send the expression to render")
    flow = await ctx.engine.flows.revision(
        execution.namespace, execution.flow_id, execution.flow_revision
    )
    view = ExecutionView(flow, execution)
    try:
        tr = view.get(task_run_id)
    except KeyError:
        raise NotFoundError(f"execution '{execution_id}' has no TaskRun '{task_run_id}'") from None
    renderer = ctx.engine.env.renderer(view, tr)
    masker = ctx.engine.env.masker_for(execution)
    try:
        # In a thread: engine functions (kv, read) wait on the event loop.
        result = await asyncio.to_thread(renderer.render, expression)
    except HeadwayError as exc:
        return {"result": None, "error": masker.text(exc.message)}
    return {"result": masker.value(result), "error": None}


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
async def set_labels(
    execution_id: str,
    labels: list[Label],
    ctx: Ctx,
    replace: Annotated[
        bool, Query(description="The labels become exactly these (others are removed)")
    ] = False,
) -> JSON:
    """Add labels to an execution (same keys replaced), or with ``replace`` set exactly
    these."""
    await ctx.execution(execution_id)
    for label in labels:
        if not label.key.strip():
            raise ApiError(422, "a label's key must not be empty")
    given = {label.key: label.value for label in labels}
    payload = {"labels": given, "replace": replace}
    await ctx.engine.executor.request(execution_id, "labels", payload)
    return {"id": execution_id, "labels": [label.model_dump() for label in labels]}


@router.post(
    "/executions/{namespace}/{flow_id}", openapi_extra=INPUTS_BODY, responses=BODY_RESPONSES
)
async def run_flow(
    namespace: str,
    flow_id: str,
    request: Request,
    ctx: Ctx,
    wait: Annotated[bool, Query(description="Answer when the execution ends")] = False,
    labels: Annotated[list[str] | None, Query(description="key:value")] = None,
    revision: Annotated[int | None, Query(ge=1, le=MAX_NUMBER)] = None,
    scheduleDate: Annotated[
        str | None, Query(description="ISO-8601: start then, not now", json_schema_extra=DATE)
    ] = None,
) -> JSON:
    """Start an execution of a flow with inputs (JSON, form or multipart with files), now or
    at ``scheduleDate``."""
    schedule_date = parse_date(scheduleDate, "scheduleDate")
    if wait and schedule_date is not None and schedule_date > utcnow():
        raise ApiError(
            422,
            "query parameter 'wait': an execution scheduled for later (scheduleDate) cannot "
            "be waited for: follow it with GET /executions/{id}/follow",
        )
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
        schedule_date=schedule_date,
    )
    if wait:
        execution = await ctx.engine.wait(execution.id)
    return ctx.execution_json(execution)
