"""Flows: CRUD with YAML bodies, revisions, validation, search, GitOps apply."""

from __future__ import annotations

from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field, StrictBool

from headway.api import audit, auth
from headway.api.context import ServerContext, get_ctx
from headway.api.errors import ApiError
from headway.api.requests import MAX_NUMBER
from headway.errors import ConflictError, FlowInvalidError, NotFoundError
from headway.execution import iso
from headway.flows.loader import parse_flow
from headway.flows.model import Flow
from headway.flows.topology import topology
from headway.server import gitops
from headway.store.base import FlowRecord

router = APIRouter(tags=["flows"])
Ctx = Annotated[ServerContext, Depends(get_ctx)]
YAML_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/x-yaml": {"schema": {"type": "string"}}},
    }
}


def flow_json(record: FlowRecord) -> dict[str, Any]:
    """A stored revision as Kestra shows a flow: its YAML as JSON, with the revision and the
    source text."""
    data = yaml.safe_load(record.source)
    out: dict[str, Any] = dict(data) if isinstance(data, dict) else {}
    out.update(
        id=record.id,
        namespace=record.namespace,
        revision=record.revision,
        deleted=record.deleted,
        updated=iso(record.updated) if record.updated else None,
        source=record.source,
    )
    return out


async def _yaml_body(request: Request) -> str:
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "the flow must be UTF-8 YAML text") from None
    if not text.strip():
        raise ApiError(400, "the request body is empty: send the flow's YAML")
    return text


def _parse(ctx: ServerContext, source: str) -> Flow:
    return parse_flow(source, task_types=ctx.engine.registry)


async def _latest(ctx: ServerContext, namespace: str, flow_id: str) -> FlowRecord:
    record = await ctx.store.get_flow(ctx.tenant, namespace, flow_id)
    if record is None:
        raise NotFoundError(f"flow '{namespace}.{flow_id}' not found")
    return record


@router.post("/flows", openapi_extra=YAML_BODY)
async def create_flow(request: Request, ctx: Ctx) -> dict[str, Any]:
    """Create a flow from its YAML source."""
    source = await _yaml_body(request)
    flow = _parse(ctx, source)
    if await ctx.store.get_flow(ctx.tenant, flow.namespace, flow.id) is not None:
        raise ConflictError(f"flow '{flow.uid}' already exists: update it with PUT")
    record = await ctx.store.save_flow(ctx.tenant, flow.namespace, flow.id, source)
    await audit.record(request, "flow.create", flow.uid, namespace=flow.namespace, after=source)
    return flow_json(record)


class ValidationResult(BaseModel):
    index: int
    flow: str | None = None
    namespace: str | None = None
    constraints: str | None = None
    problems: list[dict[str, Any]] = Field(default_factory=list)


@router.post("/flows/validate", openapi_extra=YAML_BODY)
async def validate_flows(request: Request, ctx: Ctx) -> list[ValidationResult]:
    """Validate one or more flows (YAML documents separated by ``---``) without saving."""
    text = await _yaml_body(request)
    results = []
    for index, source in enumerate(_documents(text)):
        try:
            flow = _parse(ctx, source)
        except FlowInvalidError as exc:
            data = _mapping(source)
            results.append(
                ValidationResult(
                    index=index,
                    flow=_str(data.get("id")),
                    namespace=_str(data.get("namespace")),
                    constraints=exc.message,
                    problems=[
                        {"message": p.message, "line": p.location.line, "path": p.location.path}
                        for p in exc.problems
                    ],
                )
            )
            continue
        results.append(ValidationResult(index=index, flow=flow.id, namespace=flow.namespace))
    return results


def _documents(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    for line in text.splitlines(keepends=True):
        if line.rstrip() == "---":
            parts.append("".join(current))
            current = []
        else:
            current.append(line)
    parts.append("".join(current))
    return [p for p in parts if p.strip()]


def _mapping(source: str) -> dict[str, Any]:
    try:
        data = yaml.safe_load(source)
    except (yaml.YAMLError, RecursionError):
        return {}
    return data if isinstance(data, dict) else {}


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


class ApplySource(BaseModel):
    source: str
    file: str | None = None


class ApplyRequest(BaseModel):
    flows: list[ApplySource]
    namespace: str | None = None
    prune: StrictBool = False
    dryRun: StrictBool = False


@router.post("/flows/apply")
async def apply_flows(body: ApplyRequest, request: Request, ctx: Ctx) -> dict[str, Any]:
    """GitOps: make the store hold exactly these flows (with ``prune``, delete the others of
    ``namespace``); with ``dryRun``, only say what would change."""
    existing = await ctx.store.list_flows(ctx.tenant)
    changes = gitops.plan(
        [gitops.FlowSource(f.source, f.file) for f in body.flows],
        existing,
        task_types=ctx.engine.registry,
        namespace=body.namespace,
        prune=body.prune,
    )
    if not body.dryRun:
        planned = changes
        changes = await gitops.apply(ctx.store, ctx.tenant, changes)
        await _audit_apply(request, existing, planned)
    audit.nothing_changed(request)  # the entries above, or none for a dry run
    return {
        "dryRun": body.dryRun,
        "summary": gitops.summary(changes),
        "changes": [c.to_json() for c in changes],
    }


async def _audit_apply(
    request: Request, existing: list[FlowRecord], changes: list[gitops.FlowChange]
) -> None:
    old = {(r.namespace, r.id): r.source for r in existing}
    for c in changes:
        if c.action != "unchanged":
            before = old.get((c.namespace, c.id))
            uid = f"{c.namespace}.{c.id}"
            await audit.record(
                request, "flow.apply", uid, namespace=c.namespace, before=before, after=c.source
            )


@router.get("/flows/search")
async def search_flows(
    ctx: Ctx,
    namespace: Annotated[str | None, Query(description="A namespace prefix")] = None,
    q: Annotated[str | None, Query(description="Text in the id, namespace or source")] = None,
    page: Annotated[int, Query(ge=1, le=MAX_NUMBER)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 25,
) -> dict[str, Any]:
    records = [
        r
        for r in await ctx.store.list_flows(ctx.tenant)
        if gitops.in_namespace(r.namespace, namespace) and _matches(r, q)
    ]
    start = (page - 1) * size
    return {"results": [flow_json(r) for r in records[start : start + size]], "total": len(records)}


def _matches(record: FlowRecord, q: str | None) -> bool:
    if not q:
        return True
    needle = q.lower()
    return any(needle in text.lower() for text in (record.id, record.namespace, record.source))


@router.get("/flows/{namespace}")
async def list_namespace_flows(namespace: str, ctx: Ctx) -> list[dict[str, Any]]:
    return [flow_json(r) for r in await ctx.store.list_flows(ctx.tenant, namespace)]


@router.get("/flows/{namespace}/{flow_id}")
async def get_flow(
    namespace: str,
    flow_id: str,
    ctx: Ctx,
    revision: Annotated[int | None, Query(ge=1, le=MAX_NUMBER)] = None,
) -> dict[str, Any]:
    if revision is None:
        return flow_json(await _latest(ctx, namespace, flow_id))
    record = await ctx.store.get_flow(ctx.tenant, namespace, flow_id, revision)
    if record is None:
        raise NotFoundError(f"flow '{namespace}.{flow_id}' has no revision {revision}")
    return flow_json(record)


@router.put("/flows/{namespace}/{flow_id}", openapi_extra=YAML_BODY)
async def update_flow(namespace: str, flow_id: str, request: Request, ctx: Ctx) -> dict[str, Any]:
    """Save a new revision (none if the source is unchanged)."""
    source = await _yaml_body(request)
    flow = _parse(ctx, source)
    if (flow.namespace, flow.id) != (namespace, flow_id):
        raise ApiError(
            422,
            f"the YAML defines flow '{flow.uid}', but the path names '{namespace}.{flow_id}'",
        )
    old = await _latest(ctx, namespace, flow_id)
    record = await ctx.store.save_flow(ctx.tenant, namespace, flow_id, source)
    uid = f"{namespace}.{flow_id}"
    await audit.record(
        request, "flow.update", uid, namespace=namespace, before=old.source, after=source
    )
    return flow_json(record)


@router.delete("/flows/{namespace}/{flow_id}", status_code=204)
async def delete_flow(namespace: str, flow_id: str, request: Request, ctx: Ctx) -> Response:
    old = await ctx.store.get_flow(ctx.tenant, namespace, flow_id)
    if not await ctx.store.delete_flow(ctx.tenant, namespace, flow_id):
        raise NotFoundError(f"flow '{namespace}.{flow_id}' not found")
    before = old.source if old is not None else None
    await audit.record(
        request, "flow.delete", f"{namespace}.{flow_id}", namespace=namespace, before=before
    )
    return Response(status_code=204)


@router.get("/flows/{namespace}/{flow_id}/graph")
async def flow_graph(
    namespace: str,
    flow_id: str,
    ctx: Ctx,
    revision: Annotated[int | None, Query(ge=1)] = None,
) -> dict[str, Any]:
    """The flow's topology: its tasks as nodes (with their parent flowable task and branch)
    and what runs after what as edges."""
    if revision is None:
        record = await _latest(ctx, namespace, flow_id)
    else:
        record = await _revision(ctx, namespace, flow_id, revision)
    return topology(_parse(ctx, record.source)).to_json()


@router.get("/flows/{namespace}/{flow_id}/revisions")
async def flow_revisions(namespace: str, flow_id: str, ctx: Ctx) -> list[dict[str, Any]]:
    records = await ctx.store.flow_revisions(ctx.tenant, namespace, flow_id)
    if not records:
        raise NotFoundError(f"flow '{namespace}.{flow_id}' not found")
    return [flow_json(r) for r in records]


async def _revision(ctx: ServerContext, namespace: str, flow_id: str, rev: int) -> FlowRecord:
    record = await ctx.store.get_flow(ctx.tenant, namespace, flow_id, rev)
    if record is None:
        raise NotFoundError(f"flow '{namespace}.{flow_id}' has no revision {rev}")
    return record


@router.get("/flows/{namespace}/{flow_id}/revisions/diff")
async def diff_revisions(
    namespace: str,
    flow_id: str,
    ctx: Ctx,
    from_: Annotated[int, Query(alias="from", ge=1, le=MAX_NUMBER)],
    to: Annotated[int, Query(ge=1, le=MAX_NUMBER)],
) -> dict[str, Any]:
    """A unified diff between two revisions."""
    old = await _revision(ctx, namespace, flow_id, from_)
    new = await _revision(ctx, namespace, flow_id, to)
    diff = gitops.unified_diff(old.source, new.source, f"{namespace}.{flow_id}")
    return {"from": from_, "to": to, "diff": diff}


@router.post("/flows/{namespace}/{flow_id}/revisions/{revision}/restore")
async def restore_revision(
    namespace: str,
    flow_id: str,
    revision: Annotated[int, Path(ge=1, le=MAX_NUMBER)],
    request: Request,
    ctx: Ctx,
) -> dict[str, Any]:
    """Save an old revision's source as the newest revision."""
    old = await _revision(ctx, namespace, flow_id, revision)
    _parse(ctx, old.source)
    latest = await ctx.store.get_flow(ctx.tenant, namespace, flow_id)
    record = await ctx.store.save_flow(ctx.tenant, namespace, flow_id, old.source)
    await audit.record(
        request,
        "flow.restore",
        f"{namespace}.{flow_id}",
        namespace=namespace,
        before=latest.source if latest is not None else None,
        after=old.source,
    )
    return flow_json(record)


@router.get("/namespaces/search")
async def search_namespaces(
    request: Request, ctx: Ctx, q: Annotated[str | None, Query()] = None
) -> dict[str, Any]:
    """The namespaces that hold flows, with their parents (those the caller may read)."""
    found: set[str] = set()
    for record in await ctx.store.list_flows(ctx.tenant):
        parts = record.namespace.split(".")
        found.update(".".join(parts[: i + 1]) for i in range(len(parts)))
    found = {n for n in found if auth.visible(request, n)}
    names = sorted(n for n in found if not q or q.lower() in n.lower())
    return {"results": [{"id": n} for n in names], "total": len(names)}
