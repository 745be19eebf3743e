"""``errors`` and ``finally`` after the main part of a flowable task that is not a plain
sequence (Parallel, the loops, Dag, WaitFor), with the rules of a Sequential: ``errors`` run
when the main part failed, ``finally`` always; the end state stays FAILED (or KILLED) after a
failure, and a failing ``finally`` fails the task."""

from __future__ import annotations

from pydantic import Field

from headway.flows.tasks import Task, TaskBase
from headway.plugins.base import Advance, FlowableContext, FlowableTask
from headway.state import State, worst


class HandledTask(FlowableTask):
    """A flowable task with ``errors`` (run when it failed) and ``finally`` (run always)."""

    errors: list[Task] = Field(default_factory=list)
    finally_: list[Task] = Field(default_factory=list, alias="finally")

    def handled(self, ctx: FlowableContext, main: Advance) -> Advance:
        """``main`` until it is done, then the errors and finally tasks."""
        return with_handlers(ctx, main, self.errors, self.finally_)


def with_handlers(
    ctx: FlowableContext,
    main: Advance,
    errors: list[TaskBase],
    finally_: list[TaskBase],
) -> Advance:
    """``main`` (its ``extra`` kept) until it is done, then its errors and finally tasks."""
    if main.done is None:
        return main
    end = main.done
    if end.failed and end is not State.KILLED and errors:
        handled = ctx.sequential(errors)
        if handled.done is None:
            handled.extra = main.extra
            return handled
    if finally_:
        fin = ctx.sequential(finally_)
        if fin.done is None:
            fin.extra = main.extra
            return fin
        if fin.done.failed and end is not State.KILLED:
            end = State.FAILED
        elif not end.failed:
            end = worst([end, fin.done])
    main.done = end
    return main
