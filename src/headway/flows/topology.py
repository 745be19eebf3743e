"""A flow's topology: its tasks as nodes, what runs after what as edges (the UI's graph).

Pure: read from the flow model. A flowable task's branches are found from its fields (a list
of tasks, a map of case to tasks, a list of ``{task, dependsOn}``), so new flowable tasks
show without code here. Tasks of a branch run one after another, except in the branches
that run at once (``PARALLEL``) and in a Dag, where ``dependsOn`` gives the edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from headway.flows.model import Flow
from headway.flows.tasks import TaskBase

# (task type_name, branch) whose tasks start together.
PARALLEL = {("parallel", "tasks"), ("each-parallel", "tasks")}


@dataclass
class Topology:
    nodes: list[dict[str, Any]] = field(default_factory=list)
    edges: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"nodes": self.nodes, "edges": self.edges}


def _branches(task: TaskBase) -> list[tuple[str, list[TaskBase], dict[str, list[str]] | None]]:
    """(name, tasks, dependsOn by task id or None) of each nested list, in field order."""
    out: list[tuple[str, list[TaskBase], dict[str, list[str]] | None]] = []
    for name, info in type(task).model_fields.items():
        value = getattr(task, name)
        label = info.alias or name
        if isinstance(value, list) and value and all(isinstance(t, TaskBase) for t in value):
            out.append((label, value, None))
        elif isinstance(value, list) and value and all(hasattr(v, "task") for v in value):
            tasks = [v.task for v in value]
            if all(isinstance(t, TaskBase) for t in tasks):
                depends = {v.task.id: list(getattr(v, "depends_on", [])) for v in value}
                out.append((label, tasks, depends))
        elif isinstance(value, dict):
            for key, tasks in value.items():
                if (
                    isinstance(tasks, list)
                    and tasks
                    and all(isinstance(t, TaskBase) for t in tasks)
                ):
                    out.append((f"{label}:{key}", tasks, None))
    return out


def topology(flow: Flow) -> Topology:
    topo = Topology()
    root = [
        ("tasks", flow.tasks),
        ("errors", flow.errors),
        ("finally", flow.finally_),
        ("afterExecution", flow.after_execution),
    ]
    for name, tasks in root:
        _add_branch(topo, None, "", name, tasks, None)
    return topo


def _add_branch(
    topo: Topology,
    parent: TaskBase | None,
    parent_type: str,
    name: str,
    tasks: list[TaskBase],
    depends: dict[str, list[str]] | None,
) -> None:
    parallel = (parent_type, name) in PARALLEL
    previous: TaskBase | None = None
    for task in tasks:
        nested = _branches(task)
        topo.nodes.append(
            {
                "id": task.id,
                "type": task.type,
                "flowable": bool(nested),
                "parent": parent.id if parent else None,
                "branch": name,
                "disabled": task.disabled,
            }
        )
        if depends is not None:
            for before in depends.get(task.id, []):
                topo.edges.append({"source": before, "target": task.id, "relation": "dependsOn"})
            if parent is not None and not depends.get(task.id):
                topo.edges.append({"source": parent.id, "target": task.id, "relation": name})
        elif parallel or previous is None:
            if parent is not None:
                topo.edges.append({"source": parent.id, "target": task.id, "relation": name})
        else:
            topo.edges.append({"source": previous.id, "target": task.id, "relation": "next"})
        previous = task
        for branch, children, child_depends in nested:
            _add_branch(topo, task, task.type_name, branch, children, child_depends)
