"""Sequential, Parallel and AllowFailure: groups of tasks."""

from __future__ import annotations

from pydantic import Field

from headway.flows.tasks import Task, TaskBase
from headway.plugins.base import Advance, FlowableContext
from headway.plugins.flowable.handlers import HandledTask
from headway.state import State

_FLOW = "io.kestra.plugin.core.flow"
_LEGACY = "io.kestra.core.tasks.flows"


class Sequential(HandledTask):
    """Run tasks one after another; on a failure run `errors`, then `finally`."""

    type_name = "sequential"
    aliases = (f"{_FLOW}.Sequential", f"{_LEGACY}.Sequential")

    tasks: list[Task] = Field(min_length=1)

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [self.tasks, self.errors, self.finally_]

    def advance(self, ctx: FlowableContext) -> Advance:
        return ctx.sequential(self.tasks, errors=self.errors, finally_=self.finally_)


class Parallel(HandledTask):
    """Run tasks at the same time, at most `concurrent` at once (0: all); then `errors` (on a
    failure) and `finally`."""

    type_name = "parallel"
    aliases = (f"{_FLOW}.Parallel", f"{_LEGACY}.Parallel")

    tasks: list[Task] = Field(min_length=1)
    concurrent: int = Field(0, ge=0)

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [self.tasks, self.errors, self.finally_]

    def advance(self, ctx: FlowableContext) -> Advance:
        adv = ctx.parallel(self.tasks, concurrent=self.concurrent)
        return self.handled(ctx, adv)


class AllowFailure(HandledTask):
    """Run tasks one after another; a failure among them ends this task in WARNING."""

    type_name = "allow-failure"
    aliases = (f"{_LEGACY}.AllowFailure", f"{_FLOW}.AllowFailure")

    tasks: list[Task] = Field(min_length=1)

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [self.tasks, self.errors, self.finally_]

    def advance(self, ctx: FlowableContext) -> Advance:
        adv = ctx.sequential(self.tasks, errors=self.errors, finally_=self.finally_)
        if adv.done is State.FAILED:
            adv.done = State.WARNING
        return adv
