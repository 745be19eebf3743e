"""Graphs in a flow: dependencies (Dag tasks, inputs' ``dependsOn``) and the tree of tasks."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from headway.flows.tasks import TaskBase

if TYPE_CHECKING:
    from headway.flows.model import Flow

Path = tuple[str | int, ...]


def find_cycle(graph: Mapping[str, Sequence[str]]) -> list[str] | None:
    """A cycle of ``graph`` (node -> the nodes it depends on) as the nodes along it, the first
    repeated at the end (``["a", "b", "a"]``), or None. Edges to unknown nodes are ignored."""
    done: set[str] = set()
    for start in graph:
        if start in done:
            continue
        path: list[str] = [start]
        on_path = {start}
        stack: list[Iterator[str]] = [iter(graph[start])]
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                stack.pop()
                done.add(path[-1])
                on_path.discard(path.pop())
            elif nxt in on_path:
                return [*path[path.index(nxt) :], nxt]
            elif nxt in graph and nxt not in done:
                path.append(nxt)
                on_path.add(nxt)
                stack.append(iter(graph[nxt]))
    return None


def check_dag(entries: Sequence[tuple[str, Sequence[str]]]) -> list[str]:
    """What is wrong with a Dag's ``(task id, dependsOn)`` entries: ids depended on that are not
    in the Dag, and cycles. For a plugin's model validator to raise."""
    ids = {task_id for task_id, _ in entries}
    problems = [
        f"task '{task_id}' depends on '{dep}', which is not a task of this Dag"
        for task_id, deps in entries
        for dep in deps
        if dep not in ids
    ]
    cycle = find_cycle({task_id: list(deps) for task_id, deps in entries})
    if cycle is not None:
        problems.append(f"tasks depend on each other in a cycle: {' -> '.join(cycle)}")
    return problems


def dependency_order(graph: Mapping[str, Sequence[str]]) -> list[str]:
    """The nodes of ``graph``, each after the nodes it depends on, otherwise in their given
    order. Unknown dependencies are ignored; nodes on a cycle keep their given order."""
    out: list[str] = []
    placed: set[str] = set()
    visiting: set[str] = set()

    def place(node: str) -> None:
        if node in placed or node in visiting:
            return
        visiting.add(node)
        for dep in graph[node]:
            if dep in graph:
                place(dep)
        visiting.discard(node)
        placed.add(node)
        out.append(node)

    for node in graph:
        place(node)
    return out


def iter_tasks(flow: Flow) -> Iterator[tuple[Path, TaskBase]]:
    """Every task of the flow with its path in the flow's YAML, nested ones included, depth
    first (``("tasks", 1, "then", 0)``). Nested tasks are found in any field of a task."""
    sections: tuple[tuple[str, list[TaskBase]], ...] = (
        ("tasks", flow.tasks),
        ("errors", flow.errors),
        ("finally", flow.finally_),
        ("afterExecution", flow.after_execution),
    )
    for key, tasks in sections:
        for i, task in enumerate(tasks):
            yield from _walk(task, (key, i))


def _walk(value: Any, path: Path) -> Iterator[tuple[Path, TaskBase]]:
    if isinstance(value, TaskBase):
        yield path, value
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            yield from _walk(getattr(value, name), (*path, info.alias or name))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from _walk(item, (*path, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, (*path, str(key)))
