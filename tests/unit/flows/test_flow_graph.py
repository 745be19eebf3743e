"""Dependency graphs (cycles, order) and the tree of tasks."""

from __future__ import annotations

from headway.flows.graph import check_dag, dependency_order, find_cycle, iter_tasks

from .conftest import Parse


def test_find_cycle() -> None:
    assert find_cycle({}) is None
    assert find_cycle({"a": [], "b": ["a"], "c": ["a", "b"]}) is None
    assert find_cycle({"a": ["a"]}) == ["a", "a"]
    assert find_cycle({"a": ["b"], "b": ["c"], "c": ["a"]}) == ["a", "b", "c", "a"]
    assert find_cycle({"x": ["a"], "a": ["b"], "b": ["a"]}) == ["a", "b", "a"]


def test_find_cycle_ignores_unknown_nodes() -> None:
    assert find_cycle({"a": ["zz"], "b": ["a", "yy"]}) is None


def test_find_cycle_on_a_long_chain() -> None:
    graph = {str(i): [str(i + 1)] for i in range(5000)}
    assert find_cycle(graph) is None
    graph["5000"] = ["0"]
    cycle = find_cycle(graph)
    assert cycle is not None
    assert len(cycle) == 5002


def test_check_dag() -> None:
    assert check_dag([("a", []), ("b", ["a"])]) == []
    assert check_dag([("a", ["b"]), ("b", ["a", "c"])]) == [
        "task 'b' depends on 'c', which is not a task of this Dag",
        "tasks depend on each other in a cycle: a -> b -> a",
    ]


def test_dependency_order() -> None:
    assert dependency_order({"a": ["c"], "b": [], "c": ["b"]}) == ["b", "c", "a"]
    assert dependency_order({"a": ["zz"], "b": []}) == ["a", "b"]
    assert dependency_order({"a": ["b"], "b": ["a"]}) == ["b", "a"]


def test_iter_tasks_gives_paths(parse: Parse) -> None:
    flow = parse(
        "id: f\nnamespace: n\n"
        "tasks:\n"
        "  - id: s\n    type: switch\n    value: x\n    cases:\n"
        "      A:\n        - {id: a, type: log, message: m}\n"
        "  - id: dag\n    type: dag\n    tasks:\n"
        "      - task: {id: d, type: log, message: m}\n"
        "finally:\n  - {id: f, type: log, message: m}\n"
    )
    assert [(path, task.id) for path, task in iter_tasks(flow)] == [
        (("tasks", 0), "s"),
        (("tasks", 0, "cases", "A", 0), "a"),
        (("tasks", 1), "dag"),
        (("tasks", 1, "tasks", 0, "task"), "d"),
        (("finally", 0), "f"),
    ]
