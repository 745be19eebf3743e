"""The HTTP polling trigger: every ``interval``, request ``uri``; when ``responseCondition``
(rendered with ``response.statusCode``, ``response.body``, ``response.headers``) is true,
start an execution with ``trigger.uri``, ``trigger.code``, ``trigger.headers`` and
``trigger.body`` (the response's text).

Polls run as tasks of their own, so a slow endpoint never delays a schedule; while one runs
its trigger is locked (``locked_until``)."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx

from headway import expressions
from headway.durations import parse_duration
from headway.errors import HeadwayError
from headway.scheduler.evaluate import context, simple_conditions_hold
from headway.scheduler.firing import Firing, build, renderer
from headway.scheduler.index import Entry
from headway.store.base import TriggerState
from headway.triggers.model import HttpTrigger

if TYPE_CHECKING:
    from headway.scheduler.service import Scheduler

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = timedelta(seconds=30)


def timeout_of(trigger: HttpTrigger) -> timedelta:
    for key in ("readTimeout", "connectTimeout", "timeout"):
        value = trigger.options.get(key)
        if isinstance(value, str):
            try:
                return parse_duration(value)
            except ValueError:
                continue
    return DEFAULT_TIMEOUT


async def maybe_poll(
    scheduler: Scheduler, entry: Entry, trigger: HttpTrigger, state: TriggerState, now: datetime
) -> datetime | None:
    """Start a poll when one is due; return when the next one is."""
    key = state.key
    if trigger.disabled or entry.flow.disabled or state.disabled or key in scheduler.polls:
        return None
    if state.next_date is not None and state.next_date > now:
        return state.next_date
    if state.execution_id is not None and not trigger.allow_concurrent:
        execution = await scheduler.store.get_execution(state.execution_id)
        if execution is not None and not execution.current.terminal:
            state.next_date = now + trigger.interval
            await scheduler.store.save_triggers([state])
            return state.next_date
        state.execution_id = None
    state.locked_until = now + timeout_of(trigger) + timedelta(seconds=5)
    await scheduler.store.save_triggers([state])
    task = asyncio.create_task(poll(scheduler, entry, trigger, state))
    scheduler.polls[key] = task
    task.add_done_callback(lambda _: scheduler.polls.pop(key, None))
    return None


async def request(trigger: HttpTrigger, rendered: dict[str, Any]) -> httpx.Response:
    timeout = timeout_of(trigger).total_seconds()
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=True) as client:
        return await client.request(
            trigger.method,
            str(rendered["uri"]),
            headers={str(k): str(v) for k, v in (rendered["headers"] or {}).items()},
            content=rendered["body"].encode() if isinstance(rendered["body"], str) else None,
        )


async def poll(
    scheduler: Scheduler, entry: Entry, trigger: HttpTrigger, state: TriggerState
) -> None:
    where = f"trigger {entry.flow.namespace}.{entry.flow.id}.{trigger.id}"
    fired = []
    try:
        render = renderer(scheduler.env, entry.flow, scheduler.tenant, {})
        rendered = await render.render_async(
            {"uri": trigger.uri, "headers": trigger.headers, "body": trigger.body}
        )
        headers = dict(rendered["headers"] or {})
        if trigger.content_type:
            headers.setdefault("Content-Type", trigger.content_type)
        rendered["headers"] = headers
        response = await request(trigger, rendered)
        seen = {
            "statusCode": response.status_code,
            "body": response.text,
            "headers": {k: response.headers.get_list(k) for k in response.headers},
        }
        condition = expressions.render_typed(
            trigger.response_condition, {**render.variables, "response": seen}, render.functions
        )
        if condition is True or str(condition).strip().lower() == "true":
            variables = {
                "uri": str(response.url),
                "code": response.status_code,
                "headers": seen["headers"],
                "body": response.text,
            }
            now = scheduler.clock.now()
            ctx = context(scheduler.env, entry.flow, scheduler.tenant, variables, now)
            if simple_conditions_hold(trigger, ctx, where):
                firing = Firing(entry.flow, entry.revision, trigger, variables, scheduler.tenant)
                fired.append(await build(scheduler.executor, scheduler.env, firing))
    except httpx.HTTPError as exc:
        log.warning("%s: request to %s failed: %s", where, trigger.uri, exc)
    except HeadwayError as exc:
        log.warning("%s: %s", where, exc.message)
    now = scheduler.clock.now()
    fresh = await scheduler.store.get_trigger(*state.key) or state
    fresh.locked_until = None
    fresh.next_date = now + trigger.interval
    for _, execution in fired:
        fresh.last_date = now
        if not trigger.allow_concurrent and not execution.current.terminal:
            fresh.execution_id = execution.id
        if execution.current in trigger.stop_after:
            fresh.disabled = True
    await scheduler.commit_fired(fired, [fresh])
    scheduler.wakeup.set()
