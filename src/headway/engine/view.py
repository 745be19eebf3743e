"""An execution as the executor and worker see it: the records plus indexes over them.

Children are indexed by scope (parent TaskRun, loop value, iteration) so that evaluating a
flowable task costs the size of its scope, not of the execution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from headway.execution import Execution, TaskRun
from headway.flows.model import Flow
from headway.flows.tasks import TaskBase

Scope = tuple[str | None, str | None, int | None]


@dataclass
class ExecutionView:
    flow: Flow
    execution: Execution
    tasks: dict[str, TaskBase] = field(default_factory=dict)
    _scopes: dict[Scope, dict[str, TaskRun]] = field(default_factory=dict)
    _by_id: dict[str, TaskRun] = field(default_factory=dict)
    _children: dict[str, list[TaskRun]] = field(default_factory=dict)
    # TaskRuns not known to be terminal, in creation order (pruned as they end).
    _open: dict[str, TaskRun] = field(default_factory=dict)
    # Where a sequential scan of a task list can resume (see ``scopes``), by list and scope.
    cursors: dict[tuple[int, Scope], tuple[int, list[Any]]] = field(default_factory=dict)
    _outputs: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        self.tasks = {t.id: t for t in self.flow.all_tasks()}
        for tr in self.execution.task_runs:
            self._index(tr)

    def outputs(self) -> dict[str, Any]:
        """Every task's outputs (``outputs`` in expressions), cached until a change."""
        if self._outputs is None:
            self._outputs = self._outputs_tree()
        return self._outputs

    def loop_path(self, tr: TaskRun) -> list[str]:
        """The loop values on the way from the root to this TaskRun, outermost first: the
        key path of its outputs (``outputs.task[parentValue][value]``)."""
        path: list[str] = []
        child = tr
        while child.parent_task_run_id is not None:
            parent = self._by_id[child.parent_task_run_id]
            if getattr(self.tasks[parent.task_id], "is_loop", False) and child.value is not None:
                path.append(child.value)
            child = parent
        path.reverse()
        return path

    def _outputs_tree(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for tr in self.execution.task_runs:
            if tr.outputs is None:
                continue
            path = self.loop_path(tr)
            if not path:
                out[tr.task_id] = tr.outputs
                continue
            node = out.setdefault(tr.task_id, {})
            for key in path[:-1]:
                node = node.setdefault(key, {})
            node[path[-1]] = tr.outputs
        return out

    def outputs_changed(self) -> None:
        self._outputs = None

    def _index(self, tr: TaskRun) -> None:
        if tr.outputs is not None:
            self._outputs = None
        self._by_id[tr.id] = tr
        self._scopes.setdefault((tr.parent_task_run_id, tr.value, tr.iteration), {})[tr.task_id] = (
            tr
        )
        if tr.parent_task_run_id is not None:
            self._children.setdefault(tr.parent_task_run_id, []).append(tr)
        if not tr.current.terminal:
            self._open[tr.id] = tr

    def add(self, tr: TaskRun) -> None:
        self.execution.task_runs.append(tr)
        self._index(tr)

    def get(self, task_run_id: str) -> TaskRun:
        return self._by_id[task_run_id]

    def scope(
        self, parent_id: str | None, value: str | None = None, iteration: int | None = None
    ) -> dict[str, TaskRun]:
        return self._scopes.get((parent_id, value, iteration), {})

    def children(self, parent_id: str) -> list[TaskRun]:
        return self._children.get(parent_id, [])

    def open(self) -> list[TaskRun]:
        """The TaskRuns that have not ended, oldest first."""
        for trid in [trid for trid, tr in self._open.items() if tr.current.terminal]:
            del self._open[trid]
        return list(self._open.values())

    def parents(self, tr: TaskRun) -> list[TaskRun]:
        """The chain of parent TaskRuns, nearest first."""
        out: list[TaskRun] = []
        pid = tr.parent_task_run_id
        while pid is not None:
            parent = self._by_id[pid]
            out.append(parent)
            pid = parent.parent_task_run_id
        return out

    def task(self, task_id: str) -> TaskBase:
        return self.tasks[task_id]
