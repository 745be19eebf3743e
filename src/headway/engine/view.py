"""An execution as the executor and worker see it: the records plus indexes over them.

Children are indexed by scope (parent TaskRun, loop value, iteration) so that evaluating a
flowable task costs the size of its scope, not of the execution.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from headway.execution import Execution, TaskRun
from headway.flows.model import Flow
from headway.flows.tasks import TaskBase
from headway.plugins.base import FlowableTask

if TYPE_CHECKING:
    from headway.engine.flows import FlowRepository
    from headway.store.base import ExecutionChanges, Store

Scope = tuple[str | None, str | None, int | None]


@dataclass
class ExecutionView:
    flow: Flow
    execution: Execution
    tasks: dict[str, TaskBase] = field(default_factory=dict)
    _scopes: dict[Scope, dict[str, TaskRun]] = field(default_factory=dict)
    _by_id: dict[str, TaskRun] = field(default_factory=dict)
    _children: dict[str, list[TaskRun]] = field(default_factory=dict)
    _children_by_value: dict[tuple[str, str | None], list[TaskRun]] = field(default_factory=dict)
    # Scratch memory of flowable TaskRuns (see FlowableContext.memo), by TaskRun id.
    memos: dict[str, dict[str, Any]] = field(default_factory=dict)
    # TaskRuns not known to be terminal, in creation order (pruned as they end).
    _open: dict[str, TaskRun] = field(default_factory=dict)
    # The same, of flowable tasks only (the executor advances them at every step).
    _open_flowables: dict[str, TaskRun] = field(default_factory=dict)
    # Where a sequential scan of a task list can resume (see ``scopes``), by list and scope.
    cursors: dict[tuple[int, Scope], tuple[int, list[Any]]] = field(default_factory=dict)
    _outputs: dict[str, Any] | None = None
    # Whether the store holds timers of the execution (None: unknown, as when loaded).
    timers_stored: bool | None = None

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
            self._place_outputs(out, tr)
        return out

    def _place_outputs(self, out: dict[str, Any], tr: TaskRun) -> None:
        if tr.outputs is None:
            return
        path = self.loop_path(tr)
        if not path:
            out[tr.task_id] = tr.outputs
            return
        node = out.setdefault(tr.task_id, {})
        for key in path[:-1]:
            node = node.setdefault(key, {})
        node[path[-1]] = tr.outputs

    def set_outputs(self, tr: TaskRun, outputs: dict[str, Any] | None) -> None:
        """Give a TaskRun its outputs, and update ``outputs()`` in place (a long loop would
        otherwise rebuild it at every step)."""
        tr.outputs = outputs
        if self._outputs is not None:
            self._place_outputs(self._outputs, tr)

    def _index(self, tr: TaskRun) -> None:
        if tr.outputs is not None and self._outputs is not None:
            self._place_outputs(self._outputs, tr)
        self._by_id[tr.id] = tr
        self._scopes.setdefault((tr.parent_task_run_id, tr.value, tr.iteration), {})[tr.task_id] = (
            tr
        )
        if tr.parent_task_run_id is not None:
            self._children.setdefault(tr.parent_task_run_id, []).append(tr)
            key = (tr.parent_task_run_id, tr.value)
            self._children_by_value.setdefault(key, []).append(tr)
        if not tr.current.terminal:
            self._open[tr.id] = tr
            if isinstance(self.tasks[tr.task_id], FlowableTask):
                self._open_flowables[tr.id] = tr

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

    def children_with_value(self, parent_id: str, value: str | None) -> list[TaskRun]:
        return self._children_by_value.get((parent_id, value), [])

    def open(self) -> list[TaskRun]:
        """The TaskRuns that have not ended, oldest first."""
        return _pruned(self._open)

    def open_flowables(self) -> list[TaskRun]:
        """The TaskRuns of flowable tasks that have not ended, oldest first."""
        return _pruned(self._open_flowables)

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


def _pruned(runs: dict[str, TaskRun]) -> list[TaskRun]:
    for trid in [trid for trid, tr in runs.items() if tr.current.terminal]:
        del runs[trid]
    return list(runs.values())


async def load_view(store: Store, flows: FlowRepository, execution_id: str) -> ExecutionView | None:
    """The execution as stored, with the revision of its flow it runs; None if unknown."""
    execution = await store.get_execution(execution_id)
    if execution is None:
        return None
    flow = await flows.revision(execution.namespace, execution.flow_id, execution.flow_revision)
    return ExecutionView(flow, execution)


class StoredViews:
    """Executions read from the store (for a worker), kept between reads: a read of a kept
    execution brings its row and only the TaskRuns written since (Store.execution_changes),
    not every TaskRun's state history again. Keeps the ``size`` executions read last."""

    def __init__(self, store: Store, flows: FlowRepository, size: int) -> None:
        self.store, self.flows, self.size = store, flows, size
        # By execution id: the revision read last and its TaskRuns, in creation order.
        self._kept: OrderedDict[str, tuple[int, dict[str, TaskRun]]] = OrderedDict()

    async def load(self, execution_ids: list[str]) -> dict[str, ExecutionView]:
        """The executions as stored, by id (those that exist), in one read (two when one lost
        TaskRuns since it was kept: it is read whole)."""
        known = {i: self._kept[i][0] if i in self._kept else 0 for i in execution_ids}
        out: dict[str, ExecutionView] = {}
        stale = await self._merge(await self.store.execution_changes(known), known, out)
        if stale:
            await self._merge(await self.store.execution_changes(dict.fromkeys(stale, 0)), {}, out)
        return out

    async def _merge(
        self,
        changes: dict[str, ExecutionChanges],
        known: dict[str, int],
        out: dict[str, ExecutionView],
    ) -> list[str]:
        """Views of the changed executions into ``out``; return those whose TaskRuns do not
        add up (some were deleted): they must be read whole."""
        stale: list[str] = []
        for execution_id in known.keys() - changes.keys():
            self._kept.pop(execution_id, None)  # deleted
        for execution_id, change in changes.items():
            kept = self._kept.pop(execution_id, None)
            # Taken out of what is kept (put back below, or read whole): no copy needed.
            runs = kept[1] if kept is not None and known.get(execution_id) else {}
            runs.update((tr.id, tr) for tr in change.execution.task_runs)
            if len(runs) != change.task_run_count:
                stale.append(execution_id)
                continue
            self._kept[execution_id] = (change.revision, runs)
            execution = dataclasses.replace(change.execution, task_runs=list(runs.values()))
            flow = await self.flows.revision(
                execution.namespace, execution.flow_id, execution.flow_revision
            )
            out[execution_id] = ExecutionView(flow, execution)
        while len(self._kept) > self.size:
            self._kept.popitem(last=False)
        return stale
