"""Triggers with Kestra's paths: search them with their state, enable and disable, unlock,
and backfills of schedules (create with ``PUT /triggers``, pause, resume, delete)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, Field, StrictBool, field_validator

from headway.api.context import ServerContext, get_ctx
from headway.api.requests import MAX_NUMBER
from headway.execution import utcnow
from headway.scheduler import control
from headway.triggers.conditions import label_map

router = APIRouter(tags=["triggers"])
Ctx = Annotated[ServerContext, Depends(get_ctx)]
JSON = dict[str, Any]


class TriggerRef(BaseModel):
    namespace: str
    flowId: str
    triggerId: str


# A backfill's dates, kept a day away from what datetime can hold (the scheduler steps
# around them).
EARLIEST = datetime(1, 1, 2, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


class BackfillRequest(BaseModel):
    start: datetime
    end: datetime | None = None
    inputs: dict[str, Any] = Field(default_factory=dict)
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("labels", mode="before")
    @classmethod
    def _labels(cls, value: Any) -> Any:
        return label_map(value)

    @field_validator("start", "end")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        try:
            value = value.astimezone(UTC)
        except OverflowError:
            value = None
        if value is None or not EARLIEST <= value <= LATEST:
            raise ValueError("out of range: a backfill lies between 0001-01-02 and 9999-12-30")
        return value


class TriggerUpdate(TriggerRef):
    disabled: StrictBool | None = None
    backfill: BackfillRequest | None = None


class SetDisabled(BaseModel):
    triggers: list[TriggerRef] = Field(min_length=1)
    disabled: StrictBool


@router.get("/triggers/search")
async def search_triggers(
    ctx: Ctx,
    namespace: str | None = None,
    flowId: str | None = None,
    q: str | None = None,
    page: Annotated[int, Query(ge=1, le=MAX_NUMBER)] = 1,
    size: Annotated[int, Query(ge=1, le=1000)] = 25,
) -> JSON:
    found = await control.search(ctx.store, ctx.engine.flows, namespace, flowId)
    if q:
        needle = q.lower()
        found = [
            t
            for t in found
            if needle in t["triggerContext"]["triggerId"].lower()
            or needle in t["triggerContext"]["flowId"].lower()
            or needle in t["triggerContext"]["namespace"].lower()
        ]
    start = (page - 1) * size
    return {"results": found[start : start + size], "total": len(found)}


@router.put("/triggers")
async def update_trigger(update: TriggerUpdate, ctx: Ctx) -> JSON:
    """Enable or disable a trigger (``disabled``), or start a backfill (``backfill``)."""
    args = (ctx.store, ctx.engine.flows, update.namespace, update.flowId, update.triggerId)
    state = None
    if update.disabled is not None:
        state = await control.set_disabled(*args, update.disabled)
    if update.backfill is not None:
        bf = update.backfill
        state = await control.start_backfill(
            *args, start=bf.start, end=bf.end, inputs=bf.inputs, labels=bf.labels, now=utcnow()
        )
    if state is None:
        _, _, state = await control.find(*args)
    return control.state_json(state)


@router.post("/triggers/set-disabled/by-triggers")
async def set_disabled(request: SetDisabled, ctx: Ctx) -> JSON:
    for ref in request.triggers:
        await control.set_disabled(
            ctx.store, ctx.engine.flows, ref.namespace, ref.flowId, ref.triggerId, request.disabled
        )
    return {"count": len(request.triggers)}


@router.post("/triggers/{namespace}/{flowId}/{triggerId}/unlock")
async def unlock(namespace: str, flowId: str, triggerId: str, ctx: Ctx) -> JSON:
    state = await control.unlock(ctx.store, ctx.engine.flows, namespace, flowId, triggerId)
    return control.state_json(state)


@router.put("/triggers/backfill/pause")
async def pause_backfill(ref: TriggerRef, ctx: Ctx) -> JSON:
    state = await control.pause_backfill(
        ctx.store, ctx.engine.flows, ref.namespace, ref.flowId, ref.triggerId, True
    )
    return control.state_json(state)


@router.put("/triggers/backfill/unpause")
async def resume_backfill(ref: TriggerRef, ctx: Ctx) -> JSON:
    state = await control.pause_backfill(
        ctx.store, ctx.engine.flows, ref.namespace, ref.flowId, ref.triggerId, False
    )
    return control.state_json(state)


@router.post("/triggers/backfill/delete")
async def delete_backfill(ref: TriggerRef, ctx: Ctx) -> JSON:
    state = await control.delete_backfill(
        ctx.store, ctx.engine.flows, ref.namespace, ref.flowId, ref.triggerId
    )
    return control.state_json(state)
