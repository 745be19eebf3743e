"""If and Switch: choose which tasks run."""

from __future__ import annotations

from typing import Any

from pydantic import Field, model_validator

from headway.errors import HeadwayError
from headway.flows.tasks import Task, TaskBase
from headway.plugins.base import Advance, FlowableContext
from headway.plugins.flowable.handlers import HandledTask

_FLOW = "io.kestra.plugin.core.flow"
_LEGACY = "io.kestra.core.tasks.flows"


class If(HandledTask):
    """Run `then` when `condition` is true, else `else`; output `evaluationResult`."""

    type_name = "if"
    aliases = (f"{_FLOW}.If", f"{_LEGACY}.If")

    condition: Any
    then: list[Task] = Field(min_length=1)
    else_: list[Task] = Field(default_factory=list, alias="else")

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [self.then, self.else_, self.errors, self.finally_]

    def advance(self, ctx: FlowableContext) -> Advance:
        branch = ctx.task_run.extra.get("branch")
        if branch is None:
            branch = "then" if ctx.truthy(self.condition) else "else"
            ctx.log("INFO", f"condition is {branch == 'then'}: running '{branch}'")
        tasks = self.then if branch == "then" else self.else_
        adv = ctx.sequential(tasks, errors=self.errors, finally_=self.finally_)
        adv.extra = {"branch": branch}
        if adv.done is not None:
            adv.outputs = {"evaluationResult": branch == "then"}
        return adv


class Switch(HandledTask):
    """Run the tasks of the case whose key equals the rendered `value`, else `defaults`."""

    type_name = "switch"
    aliases = (f"{_FLOW}.Switch", f"{_LEGACY}.Switch")

    value: str
    cases: dict[str, list[Task]] = Field(default_factory=dict)
    defaults: list[Task] = Field(default_factory=list)

    @model_validator(mode="after")
    def _has_cases(self) -> Switch:
        if not self.cases and not self.defaults:
            raise ValueError("a Switch needs `cases` (or at least `defaults`)")
        return self

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [*self.cases.values(), self.defaults, self.errors, self.finally_]

    def advance(self, ctx: FlowableContext) -> Advance:
        chosen = ctx.task_run.extra.get("case")
        if chosen is None:
            rendered = ctx.render(self.value)
            chosen = str(rendered) if rendered is not None else ""
        tasks = self.cases.get(chosen)
        is_default = tasks is None
        if tasks is None:
            tasks = self.defaults
        if not tasks:
            raise HeadwayError(f"no case for value '{chosen}' and no defaults")
        adv = ctx.sequential(tasks, errors=self.errors, finally_=self.finally_)
        adv.extra = {"case": chosen}
        if adv.done is not None:
            adv.outputs = {"value": chosen, "defaults": is_default}
        return adv
