"""Dag: tasks that start as soon as the tasks they depend on have succeeded."""

from __future__ import annotations

from pydantic import Field, model_validator

from headway.flows.graph import find_cycle
from headway.flows.tasks import Model, Task, TaskBase
from headway.plugins.base import Advance, Child, FlowableContext
from headway.plugins.flowable.handlers import HandledTask
from headway.state import State, worst


class DagTask(Model):
    task: Task
    depends_on: list[str] = Field(default_factory=list)


class Dag(HandledTask):
    """Run tasks as a directed acyclic graph (`dependsOn`), at most `concurrent` at once;
    then `errors` (on a failure) and `finally`."""

    type_name = "dag"
    aliases = ("io.kestra.plugin.core.flow.Dag", "io.kestra.core.tasks.flows.Dag")

    tasks: list[DagTask] = Field(min_length=1)
    concurrent: int = Field(0, ge=0)

    @model_validator(mode="after")
    def _acyclic(self) -> Dag:
        ids = {entry.task.id for entry in self.tasks}
        for entry in self.tasks:
            unknown = [d for d in entry.depends_on if d not in ids]
            if unknown:
                raise ValueError(
                    f"task '{entry.task.id}' depends on unknown task(s) {unknown} "
                    f"(known: {sorted(ids)})"
                )
        cycle = find_cycle({e.task.id: list(e.depends_on) for e in self.tasks})
        if cycle:
            raise ValueError(f"dependsOn has a cycle: {' -> '.join(cycle)}")
        return self

    def child_task_lists(self) -> list[list[TaskBase]]:
        return [[entry.task for entry in self.tasks], self.errors, self.finally_]

    def advance(self, ctx: FlowableContext) -> Advance:
        own = {entry.task.id for entry in self.tasks}
        runs = {tr.task_id: tr for tr in ctx.children() if tr.task_id in own}
        running = sum(1 for tr in runs.values() if not tr.current.terminal)
        states: dict[str, State] = {
            tid: tr.current for tid, tr in runs.items() if tr.current.terminal
        }
        # allowFailure is already applied: a tolerated failure ended in WARNING.
        ok = {tid for tid, s in states.items() if s.successful}
        failed = any(s.failed for s in states.values())
        create: list[Child] = []
        if not failed:
            for entry in self.tasks:
                if self.concurrent and running + len(create) >= self.concurrent:
                    break
                tid = entry.task.id
                if tid in runs or entry.task.disabled:
                    continue
                if all(dep in ok for dep in entry.depends_on):
                    create.append(Child(entry.task))
        if running or create:
            return Advance(create=create)
        done = worst(list(states.values())) if states else State.SUCCESS
        return self.handled(ctx, Advance(done=done))
