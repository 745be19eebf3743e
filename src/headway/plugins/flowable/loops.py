"""ForEach, EachSequential and EachParallel: run tasks once per value.

Each iteration's TaskRuns carry the value (``taskrun.value``) and their outputs are keyed by
it (``outputs.task[value]``), as in Kestra.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar

from pydantic import Field

from headway.errors import HeadwayError
from headway.flows.tasks import Task, TaskBase
from headway.plugins.base import Advance, FlowableContext
from headway.plugins.flowable.handlers import HandledTask
from headway.state import State, worst

_FLOW = "io.kestra.plugin.core.flow"
_LEGACY = "io.kestra.core.tasks.flows"


def loop_values(ctx: FlowableContext, raw: Any) -> list[str]:
    """Render the values of a loop into the list of distinct iteration values (strings; JSON
    for structured items), remembered on the TaskRun so they are computed once."""
    memo = ctx.memo()
    if "values" in memo:
        known_values: list[str] = memo["values"]
        return known_values
    known = ctx.task_run.extra.get("values")
    if isinstance(known, list):
        kept = memo["values"] = [str(v) for v in known]
        return kept
    value = ctx.render_typed(raw) if isinstance(raw, str) else ctx.render(raw)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise HeadwayError(
                f"loop values must be a list or a JSON array, got '{value}'"
            ) from None
    if not isinstance(value, list):
        raise HeadwayError(f"loop values must be a list, got {type(value).__name__}")
    texts = [v if isinstance(v, str) else json.dumps(v, separators=(",", ":")) for v in value]
    distinct = memo["values"] = list(dict.fromkeys(texts))  # in order, as Kestra
    return distinct


def run_iterations(
    ctx: FlowableContext,
    values: list[str],
    tasks: list[TaskBase],
    *,
    concurrent: int,
    parallel_tasks: bool = False,
) -> Advance:
    """Start iterations in order, at most ``concurrent`` at a time (0: all); each runs its
    tasks one after another (or at once with ``parallel_tasks``).

    Iterations that ended never change again, so the scan resumes after the first run of
    them (kept in ``ctx.memo()``): a loop over many values costs about the number of running
    iterations per step, not the number of values.
    """
    adv = Advance()
    memo = ctx.memo()
    if not memo.get("values_kept"):
        memo["values_kept"] = True
        if ctx.task_run.extra.get("values") != values:
            adv.extra = {"values": values}
    start: int = memo.get("ended", 0)
    # The combined end state of the iterations that ended before ``start``.
    ended: State | None = memo.get("worst")
    later: list[State] = []  # end states of iterations that ended after a running one
    failed = ended is not None and ended.failed
    active = 0
    prefix = True  # every iteration before this one has ended
    for index in range(start, len(values)):
        value = values[index]
        started = bool(ctx.children(value))
        if not started and (failed or (concurrent > 0 and active >= concurrent)):
            break  # iterations start in order: the later ones have not started either
        if parallel_tasks:
            step = ctx.parallel(tasks, value=value, iteration=index)
        else:
            step = ctx.sequential(tasks, value=value, iteration=index)
        adv.create.extend(step.create)
        if step.done is None:
            active += 1
            prefix = False
            continue
        failed = failed or step.done.failed
        if prefix:
            ended = step.done if ended is None else worst([ended, step.done])
            memo["ended"] = index + 1
            memo["worst"] = ended
        else:
            later.append(step.done)
    if active == 0 and not adv.create:
        states = ([ended] if ended is not None else []) + later
        adv.done = worst(states) if states else State.SUCCESS
    return adv


class ForEach(HandledTask):
    """Run `tasks` once per item of `values`, `concurrencyLimit` iterations at a time
    (1 by default; 0 for no limit)."""

    type_name = "foreach"
    aliases = (f"{_FLOW}.ForEach",)
    is_loop: ClassVar[bool] = True

    values: Any
    tasks: list[Task] = Field(min_length=1)
    concurrency_limit: int = Field(1, ge=0)

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [self.tasks, self.errors, self.finally_]

    def advance(self, ctx: FlowableContext) -> Advance:
        values = loop_values(ctx, self.values)
        adv = run_iterations(ctx, values, self.tasks, concurrent=self.concurrency_limit)
        return self.handled(ctx, adv)


class EachSequential(HandledTask):
    """Legacy: run `tasks` once per item of `value`, one iteration after another."""

    type_name = "each-sequential"
    aliases = (f"{_LEGACY}.EachSequential", f"{_FLOW}.EachSequential")
    is_loop: ClassVar[bool] = True

    value: Any
    tasks: list[Task] = Field(min_length=1)

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [self.tasks, self.errors, self.finally_]

    def advance(self, ctx: FlowableContext) -> Advance:
        adv = run_iterations(ctx, loop_values(ctx, self.value), self.tasks, concurrent=1)
        return self.handled(ctx, adv)


class EachParallel(HandledTask):
    """Legacy: run `tasks` once per item of `value`, every iteration at once (at most
    `concurrent`, 0 for all); the tasks of one iteration run in parallel too."""

    type_name = "each-parallel"
    aliases = (f"{_LEGACY}.EachParallel", f"{_FLOW}.EachParallel")
    is_loop: ClassVar[bool] = True

    value: Any
    tasks: list[Task] = Field(min_length=1)
    concurrent: int = Field(0, ge=0)

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [self.tasks, self.errors, self.finally_]

    def advance(self, ctx: FlowableContext) -> Advance:
        adv = run_iterations(
            ctx,
            loop_values(ctx, self.value),
            self.tasks,
            concurrent=self.concurrent,
            parallel_tasks=True,
        )
        return self.handled(ctx, adv)
