"""WaitFor (LoopUntil): run tasks again and again until a condition is true."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field

from headway.execution import iso, parse_iso
from headway.flows.tasks import Duration, Model, Task, TaskBase
from headway.plugins.base import Advance, FlowableContext
from headway.plugins.flowable.handlers import HandledTask
from headway.state import State


class CheckFrequency(Model):
    max_iterations: int = Field(100, ge=1)
    max_duration: Duration = timedelta(hours=1)
    interval: Duration = timedelta(seconds=1)


class WaitFor(HandledTask):
    """Run `tasks`, then check `condition`; until it is true, wait `checkFrequency.interval`
    and run them again (each round is an iteration). At `maxIterations` or `maxDuration`
    end in SUCCESS, or FAILED with `failOnMaxReached`; then `errors` (on a failure) and
    `finally`."""

    type_name = "wait-for"
    aliases = ("io.kestra.plugin.core.flow.WaitFor", "io.kestra.plugin.core.flow.LoopUntil")

    condition: str
    tasks: list[Task] = Field(min_length=1)
    check_frequency: CheckFrequency = Field(default_factory=CheckFrequency)
    fail_on_max_reached: bool = False

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [self.tasks, self.errors, self.finally_]

    def advance(self, ctx: FlowableContext) -> Advance:
        ended = ctx.task_run.extra.get("loopState")
        if ended is None:
            adv = self._loop(ctx)
            if adv.done is None:
                return adv
            # Decided once: the errors and finally tasks that follow do not change it.
            adv.extra = {**(adv.extra or {}), "loopState": adv.done.value}
        else:
            adv = Advance(done=State(ended))
        return self.handled(ctx, adv)

    def _loop(self, ctx: FlowableContext) -> Advance:
        tr = ctx.task_run
        iteration = int(tr.extra.get("iteration", 0))
        # ``iterationCount`` is published while the loop runs, as in Kestra, so that its
        # tasks and the condition can read ``outputs.<id>.iterationCount``.
        outputs = {"iterationCount": iteration + 1}
        step = ctx.sequential(self.tasks, iteration=iteration)
        if step.done is None:
            step.outputs = outputs
            return step
        if step.done.failed:
            return Advance(done=step.done, outputs=outputs)
        next_at_text = tr.extra.get("nextAt")
        if next_at_text is not None:
            next_at = parse_iso(next_at_text)
            if ctx.now < next_at:
                return Advance(wake_at=next_at)
            iteration += 1
            return Advance(
                extra={"iteration": iteration, "nextAt": None},
                outputs={"iterationCount": iteration + 1},
                create=ctx.sequential(self.tasks, iteration=iteration).create,
            )
        if ctx.truthy(self.condition):
            return Advance(done=State.SUCCESS, outputs=outputs)
        freq = self.check_frequency
        started = tr.state.start_date
        if iteration + 1 >= freq.max_iterations or ctx.now - started >= freq.max_duration:
            ctx.log(
                "WARN" if not self.fail_on_max_reached else "ERROR",
                f"condition still false after {iteration + 1} iterations",
            )
            return Advance(
                done=State.FAILED if self.fail_on_max_reached else State.SUCCESS, outputs=outputs
            )
        next_at = ctx.now + freq.interval
        return Advance(extra={"nextAt": iso(next_at)}, wake_at=next_at)
