"""Pause: wait for a person (resume, with `onResume` inputs) or for a delay."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import AliasChoices, Field

from headway.durations import format_duration
from headway.errors import InputInvalidError
from headway.execution import iso, parse_iso
from headway.flows.inputs import Input, resolve_inputs, serialize_inputs
from headway.flows.tasks import Duration
from headway.plugins.base import Advance, FlowableContext, FlowableTask
from headway.state import State

# Kept on a paused TaskRun that resumes by itself (a delay): the execution, though PAUSED,
# is not waiting for a person.
RESUMES_AT = "resumesAt"


class Pause(FlowableTask):
    """Pause the execution until it is resumed (with `onResume` inputs), or until `delay`
    (`pauseDuration`) passes. With `timeout`, an execution not resumed in time fails;
    `behavior` says what happens when `pauseDuration` ends (RESUME, WARN, FAIL, CANCEL)."""

    type_name = "pause"
    aliases = ("io.kestra.plugin.core.flow.Pause", "io.kestra.core.tasks.flows.Pause")

    delay: Duration | None = Field(None, validation_alias=AliasChoices("delay", "pauseDuration"))
    timeout: Duration | None = None
    behavior: Literal["RESUME", "WARN", "FAIL", "CANCEL"] = "RESUME"
    on_resume: list[Input] = Field(default_factory=list)

    def advance(self, ctx: FlowableContext) -> Advance:
        tr = ctx.task_run
        resumed = ctx.resume_inputs()
        if resumed is not None:
            return self._resumed(ctx, resumed)
        paused_at_text = tr.extra.get("pausedAt")
        if paused_at_text is None:
            ctx.log(
                "INFO",
                "paused"
                + (
                    f" for {format_duration(self.delay)}"
                    if self.delay
                    else ", waiting to be resumed"
                ),
            )
            extra: dict[str, Any] = {"pausedAt": iso(ctx.now)}
            deadline = self._deadline(ctx.now)
            if self.delay is not None and deadline is not None:
                extra[RESUMES_AT] = iso(deadline)
            return Advance(state=State.PAUSED, wake_at=deadline, extra=extra)
        paused_at = parse_iso(paused_at_text)
        deadline = self._deadline(paused_at)
        if deadline is None or ctx.now < deadline:
            return Advance(wake_at=deadline)
        if self.delay is not None:
            end = {
                "RESUME": State.SUCCESS,
                "WARN": State.WARNING,
                "FAIL": State.FAILED,
                "CANCEL": State.KILLED,
            }[self.behavior]
            ctx.log("INFO", f"pause of {format_duration(self.delay)} ended: {end.value}")
            return Advance(done=end)
        ctx.log("ERROR", f"not resumed within {format_duration(self.timeout or timedelta(0))}")
        return Advance(done=State.FAILED)

    def _deadline(self, start: Any) -> Any:
        if self.delay is not None:
            return start + self.delay
        if self.timeout is not None:
            return start + self.timeout
        return None

    def _resumed(self, ctx: FlowableContext, given: dict[str, Any]) -> Advance:
        try:
            values = serialize_inputs(resolve_inputs(self.on_resume, given))
        except InputInvalidError as exc:
            ctx.log("ERROR", f"resume: {exc.message}")
            return Advance(done=State.FAILED)
        return Advance(done=State.SUCCESS, outputs={"onResume": values, "resumed": True})
