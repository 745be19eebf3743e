"""Webhook triggers: ``GET|POST|PUT /executions/webhook/{namespace}/{flowId}/{key}``.

A request whose namespace, flow or key does not match an enabled Webhook trigger gets the
same 404, whichever part was wrong. The body is limited in size (413 beyond). With the
trigger's ``wait: true`` the answer is the ended execution (its outputs only with
``returnOutputs: true``); otherwise the created execution. When the trigger's conditions
are not met, no execution is created (204)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response

from headway.api.context import ServerContext, get_ctx
from headway.api.errors import BODY_RESPONSES, ApiError
from headway.api.requests import JSON_OR_TEXT_BODY
from headway.engine.engine import settled
from headway.scheduler import webhooks

router = APIRouter(tags=["webhooks"])
Ctx = Annotated[ServerContext, Depends(get_ctx)]
JSON = dict[str, Any]


async def _body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise ApiError(413, f"the request body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise ApiError(413, f"the request body is larger than {limit} bytes")
    return bytes(body)


async def webhook(namespace: str, flowId: str, key: str, request: Request, ctx: Ctx) -> Any:
    engine = ctx.engine
    target = await webhooks.find_webhook(
        ctx.store, engine.flows, engine.env, namespace, flowId, key
    )
    if target is None:
        raise ApiError(404, "no webhook matches this namespace, flow and key")
    body = await _body(request, webhooks.MAX_BODY_BYTES)
    headers: dict[str, list[str]] = {}
    for name, value in request.headers.items():
        headers.setdefault(name, []).append(value)
    parameters: dict[str, list[str]] = {}
    for name, value in request.query_params.multi_items():
        parameters.setdefault(name, []).append(value)
    variables = webhooks.request_variables(body, headers, parameters)
    execution = await webhooks.fire_webhook(engine.executor, target, variables)
    if execution is None:
        return Response(status_code=204)
    if target.trigger.wait and not execution.current.terminal:
        execution = await engine.wait(execution.id)
    if target.trigger.wait and target.trigger.return_outputs and settled(execution):
        shown: JSON = ctx.execution_json(execution)
        return shown.get("outputs") or {}
    return ctx.execution_json(execution)


PATH = "/executions/webhook/{namespace}/{flowId}/{key}"
for _method in ("GET", "POST", "PUT"):
    router.add_api_route(
        PATH,
        webhook,
        methods=[_method],
        operation_id=f"webhook{_method.capitalize()}",
        openapi_extra=None if _method == "GET" else JSON_OR_TEXT_BODY,
        responses={413: BODY_RESPONSES[413]},
    )
