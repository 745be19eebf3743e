"""Dag: tasks that start as soon as the tasks they depend on have succeeded."""

from __future__ import annotations

from pydantic import Field, model_validator

from headway.flows.graph import find_cycle
from headway.flows.tasks import Model, Task, TaskBase
from headway.plugins.base import Advance, Child, FlowableContext, FlowableTask
from headway.state import State, worst


class DagTask(Model):
    task: Task
    depends_on: list[str] = Field(default_factory=list)


class Dag(FlowableTask):
    """Run tasks as a directed acyclic graph (`dependsOn`), at most `concurrent` at once."""

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
        return [[entry.task for entry in self.tasks]]

    def advance(self, ctx: FlowableContext) -> Advance:
        runs = {tr.task_id: tr for tr in ctx.children()}
        running = sum(1 for tr in runs.values() if not tr.current.terminal)
        states: dict[str, State] = {
            tid: tr.current for tid, tr in runs.items() if tr.current.terminal
        }
        ok = {tid for tid, s in states.items() if s.successful or s is State.WARNING}
        allowed = {e.task.id for e in self.tasks if e.task.allow_failure}
        ok |= {tid for tid in allowed if tid in states}
        failed = any(s.failed for tid, s in states.items() if tid not in allowed)
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
        done = [State.WARNING if (tid in allowed and s.failed) else s for tid, s in states.items()]
        return Advance(done=worst(done) if done else State.SUCCESS)
