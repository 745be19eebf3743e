"""A namespace's key-value store, as Kestra's API exposes it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Request, Response

from headway.api import audit
from headway.api.context import ServerContext, get_ctx
from headway.api.errors import ApiError
from headway.api.requests import (
    JSON_OR_TEXT_BODY,
    NotJson,
    later,
    parse_json,
    valid_namespace,
)
from headway.durations import parse_duration
from headway.errors import NotFoundError
from headway.execution import iso, utcnow
from headway.plugins.core.kv_types import check_key
from headway.store.base import KVEntry

router = APIRouter(tags=["kv"])
Ctx = Annotated[ServerContext, Depends(get_ctx)]


def _key(key: str) -> str:
    try:
        check_key(key)
    except ValueError as exc:
        raise ApiError(422, str(exc)) from None
    return key


def kv_type(value: Any) -> str:
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int | float):
        return "NUMBER"
    if isinstance(value, str):
        return "STRING"
    return "JSON"


def _entry_json(entry: KVEntry) -> dict[str, Any]:
    return {
        "key": entry.key,
        "updateDate": iso(entry.updated) if entry.updated else None,
        "expirationDate": iso(entry.expires_at) if entry.expires_at else None,
    }


@router.get("/namespaces/{namespace}/kv")
async def list_kv(namespace: str, ctx: Ctx) -> list[dict[str, Any]]:
    entries = await ctx.store.kv_list(ctx.tenant, namespace, utcnow())
    return [_entry_json(e) for e in entries]


@router.get("/namespaces/{namespace}/kv/{key}")
async def get_kv(namespace: str, key: str, ctx: Ctx) -> dict[str, Any]:
    entry = await ctx.store.kv_get(ctx.tenant, namespace, _key(key), utcnow())
    if entry is None:
        raise NotFoundError(f"no key '{key}' in namespace '{namespace}'")
    return {"type": kv_type(entry.value), "value": entry.value}


@router.put("/namespaces/{namespace}/kv/{key}", status_code=204, openapi_extra=JSON_OR_TEXT_BODY)
async def put_kv(
    namespace: str,
    key: str,
    request: Request,
    ctx: Ctx,
    ttl: Annotated[str | None, Header(description="ISO-8601 duration, e.g. PT1H")] = None,
) -> Response:
    """Set a key. The body is JSON (a number, a boolean, an object...) or, if it does not
    parse as JSON, a string."""
    raw = (await request.body()).decode("utf-8", errors="replace")
    try:
        value: Any = parse_json(raw)
    except NotJson:
        value = raw
    now = utcnow()
    expires = None
    if ttl:
        try:
            expires = later(now, parse_duration(ttl), f"'{ttl}'")
        except ValueError as exc:
            raise ApiError(422, f"header 'ttl': {exc}") from None
    old = await ctx.store.kv_get(ctx.tenant, valid_namespace(namespace), _key(key), now)
    await ctx.store.kv_put(KVEntry(ctx.tenant, namespace, key, value, expires, now))
    before = audit.kv_value(key, old.value) if old is not None else None
    after = audit.kv_value(key, value)
    await audit.record(
        request, "kv.put", f"{namespace}/{key}", namespace=namespace, before=before, after=after
    )
    return Response(status_code=204)


@router.delete("/namespaces/{namespace}/kv/{key}", status_code=204)
async def delete_kv(namespace: str, key: str, request: Request, ctx: Ctx) -> Response:
    old = await ctx.store.kv_get(ctx.tenant, namespace, _key(key), utcnow())
    if not await ctx.store.kv_delete(ctx.tenant, namespace, key):
        raise NotFoundError(f"no key '{key}' in namespace '{namespace}'")
    before = audit.kv_value(key, old.value) if old is not None else None
    await audit.record(
        request, "kv.delete", f"{namespace}/{key}", namespace=namespace, before=before
    )
    return Response(status_code=204)
