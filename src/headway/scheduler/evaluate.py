"""Evaluating a trigger's conditions with the engine's renderer; a condition that cannot be
evaluated counts as not met, and says why in the scheduler's log."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from headway.engine.evaluation import EngineEnv
from headway.errors import HeadwayError
from headway.execution import Execution
from headway.flows.model import Flow
from headway.scheduler.firing import renderer
from headway.state import State
from headway.triggers.conditions import (
    ConditionBase,
    ConditionContext,
    ConditionError,
    ExecutionFacts,
    simple_and_windows,
)
from headway.triggers.model import TriggerBase

log = logging.getLogger(__name__)


def facts(execution: Execution) -> ExecutionFacts:
    return ExecutionFacts(
        id=execution.id,
        namespace=execution.namespace,
        flow_id=execution.flow_id,
        state=execution.current,
        tenant=execution.tenant,
        labels={label["key"]: label["value"] for label in execution.labels},
        outputs=dict(execution.outputs or {}),
    )


def context(
    env: EngineEnv,
    flow: Flow,
    tenant: str,
    variables: dict[str, Any],
    now: datetime,
    execution: ExecutionFacts | None = None,
) -> ConditionContext:
    render = renderer(env, flow, tenant, variables)
    return ConditionContext(now, render.variables, render.render_typed, execution)


def holds(condition: ConditionBase, ctx: ConditionContext, where: str) -> bool:
    try:
        return condition.test(ctx)
    except (ConditionError, HeadwayError) as exc:
        message = exc.message if isinstance(exc, HeadwayError) else str(exc)
        log.warning("%s: condition %s cannot be evaluated: %s", where, condition.type, message)
        return False


def simple_conditions_hold(trigger: TriggerBase, ctx: ConditionContext, where: str) -> bool:
    """Whether every condition of the trigger but the MultipleConditions holds."""
    extra = getattr(trigger, "schedule_conditions", [])
    simple, _ = simple_and_windows([*trigger.conditions, *extra])
    return all(holds(c, ctx, where) for c in simple)


TERMINAL_STATES = (
    State.SUCCESS, State.WARNING, State.FAILED, State.KILLED, State.CANCELLED, State.SKIPPED,
)  # fmt: skip
