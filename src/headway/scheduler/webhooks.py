"""Webhook triggers, as the API calls them: find the flow's Webhook trigger by its key,
build ``trigger.body`` / ``trigger.headers`` / ``trigger.parameters`` from the request,
check the trigger's conditions, create the execution.

The key may be an expression (``{{ secret('WEBHOOK_KEY') }}``): it is rendered. Keys are
compared in constant time. An unknown namespace, flow or key all look the same to the
caller (None), so a request cannot probe which part was wrong."""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from headway.engine.evaluation import EngineEnv
from headway.engine.executor import Executor
from headway.engine.flows import FlowRepository
from headway.errors import HeadwayError
from headway.execution import Execution, utcnow
from headway.flows.model import Flow
from headway.scheduler.evaluate import context, simple_conditions_hold
from headway.scheduler.firing import Firing, build, notify, renderer
from headway.store.base import Store
from headway.triggers.model import Webhook

log = logging.getLogger(__name__)

# The largest body a webhook accepts (Kestra's default request limit is 10 MiB).
MAX_BODY_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class WebhookTarget:
    flow: Flow
    revision: int
    trigger: Webhook
    tenant: str


async def find_webhook(
    store: Store,
    flows: FlowRepository,
    env: EngineEnv,
    namespace: str,
    flow_id: str,
    key: str,
) -> WebhookTarget | None:
    """The enabled Webhook trigger of the flow whose (rendered) key is ``key``, or None."""
    tenant = flows.tenant
    record = await store.get_flow(tenant, namespace, flow_id)
    if record is None or record.deleted:
        return None
    try:
        flow = await flows.revision(namespace, flow_id, record.revision)
    except HeadwayError:
        return None
    if flow.disabled:
        return None
    for trigger in flow.triggers:
        if not isinstance(trigger, Webhook) or trigger.disabled:
            continue
        try:
            expected = str(await renderer(env, flow, tenant, {}).render_async(trigger.key))
        except HeadwayError as exc:
            log.warning("webhook %s.%s.%s: key: %s", namespace, flow_id, trigger.id, exc.message)
            continue
        if hmac.compare_digest(expected.encode(), key.encode()):
            state = await store.get_trigger(tenant, namespace, flow_id, trigger.id)
            if state is not None and state.disabled:
                return None
            return WebhookTarget(flow, record.revision, trigger, tenant)
    return None


def request_variables(
    body: bytes,
    headers: Mapping[str, list[str]],
    parameters: Mapping[str, list[str]],
) -> dict[str, Any]:
    """``trigger.body`` (parsed JSON when it is JSON, else the text, null when empty),
    ``trigger.headers`` and ``trigger.parameters`` (each name -> list of values)."""
    text = body.decode("utf-8", errors="replace")
    parsed: Any = None
    if text.strip():
        try:
            parsed = json.loads(text)
        except ValueError:  # not JSON, or a number of more digits than int() takes
            parsed = text
        except RecursionError:
            raise HeadwayError("the body is JSON nested too deeply") from None
    return {
        "body": parsed,
        "headers": {k.lower(): list(v) for k, v in headers.items()},
        "parameters": {k: list(v) for k, v in parameters.items()},
    }


async def fire_webhook(
    executor: Executor, target: WebhookTarget, variables: dict[str, Any]
) -> Execution | None:
    """The execution the request creates (FAILED if its inputs are invalid), or None when
    the trigger's conditions are not met."""
    env = executor.env
    ctx = context(env, target.flow, target.tenant, variables, utcnow())
    where = f"webhook {target.flow.namespace}.{target.flow.id}.{target.trigger.id}"
    if not simple_conditions_hold(target.trigger, ctx, where):
        return None
    firing = Firing(target.flow, target.revision, target.trigger, variables, target.tenant)
    batch, execution = await build(executor, env, firing)
    if execution.current.terminal:
        await executor.store.record_ended(target.tenant, [execution.id])
    await executor.store.commit(batch)
    notify(executor, batch)
    return execution
