"""What Kestra rejects beyond the shape of each key: duplicate ids, reserved flow ids and labels,
inputs that depend on unknown inputs or on each other, defaults that do not fit their input,
and flows that call themselves.

Checks return :class:`Finding` s (a path in the flow's YAML and a message); the loader turns
them into problems with file, line and column. :func:`check_data` works on the flow's data
(so it runs even when some keys are invalid), :func:`check_flow` on the validated model.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from headway.flows.graph import find_cycle, iter_tasks
from headway.flows.inputs import InputBase
from headway.flows.model import Flow
from headway.flows.tasks import is_template
from headway.flows.values import InputValueError

Path = tuple[str | int, ...]

# Flow ids Kestra reserves because they collide with API paths.
RESERVED_FLOW_IDS = (
    "pause", "resume", "force-run", "change-status", "kill", "executions", "search", "source",
    "disable", "enable",
)  # fmt: skip
SYSTEM_LABEL_PREFIX = "system."
# The one system label a flow may set (Kestra: it makes the flow read-only in the UI).
ALLOWED_SYSTEM_LABELS = frozenset({"system.readOnly"})
TASK_SECTIONS = ("tasks", "errors", "finally", "afterExecution")


@dataclass(frozen=True)
class Finding:
    """One thing wrong, at a path of the flow's YAML (at its key when ``key``)."""

    path: Path
    message: str
    key: bool = False


def _dotted(path: Path) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def task_nodes(data: Mapping[str, Any]) -> Iterator[tuple[Path, dict[str, Any]]]:
    """Every task of the flow's data, nested ones included: a mapping with an ``id`` and a
    ``type`` inside a task section, at any depth."""

    def walk(value: Any, path: Path) -> Iterator[tuple[Path, dict[str, Any]]]:
        if isinstance(value, dict):
            if isinstance(value.get("id"), str) and isinstance(value.get("type"), str):
                yield path, value
            for key, item in value.items():
                yield from walk(item, (*path, key))
        elif isinstance(value, list):
            for i, item in enumerate(value):
                yield from walk(item, (*path, i))

    for section in TASK_SECTIONS:
        yield from walk(data.get(section), (section,))


def _duplicates(entries: list[tuple[Path, Any]], what: str) -> list[Finding]:
    first: dict[Any, Path] = {}
    out: list[Finding] = []
    for path, ident in entries:
        if not isinstance(ident, str):
            continue
        if ident in first:
            out.append(
                Finding(
                    (*path, "id"),
                    f"duplicate {what} id '{ident}' (first at {_dotted(first[ident])})",
                )
            )
        else:
            first[ident] = path
    return out


def _listed(data: Mapping[str, Any], section: str) -> list[tuple[Path, Any]]:
    items = data.get(section)
    if not isinstance(items, list):
        return []
    return [
        ((section, i), item.get("id")) for i, item in enumerate(items) if isinstance(item, dict)
    ]


def _system_labels(labels: Any) -> list[Finding]:
    found: list[tuple[Path, str, bool]] = []  # where, the label's key, whether at a YAML key
    if isinstance(labels, dict):
        found = [(("labels", key), key, True) for key in labels]
    elif isinstance(labels, list):
        found = [
            (("labels", i, "key"), item["key"], False)
            for i, item in enumerate(labels)
            if isinstance(item, dict) and isinstance(item.get("key"), str)
        ]
    allowed = ", ".join(sorted(ALLOWED_SYSTEM_LABELS))
    return [
        Finding(
            path,
            f"label '{key}' is reserved: labels starting with '{SYSTEM_LABEL_PREFIX}' are set by "
            f"Headway itself (a flow may only set {allowed})",
            key=at_key,
        )
        for path, key, at_key in found
        if key.startswith(SYSTEM_LABEL_PREFIX) and key not in ALLOWED_SYSTEM_LABELS
    ]


def _input_dependencies(data: Mapping[str, Any]) -> list[Finding]:
    inputs = data.get("inputs")
    if not isinstance(inputs, list):
        return []
    graph: dict[str, list[str]] = {}
    where: dict[str, int] = {}
    out: list[Finding] = []
    for i, item in enumerate(inputs):
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        depends = item.get("dependsOn")
        deps = depends.get("inputs") if isinstance(depends, dict) else None
        deps = [d for d in deps if isinstance(d, str)] if isinstance(deps, list) else []
        graph.setdefault(item["id"], deps)
        where.setdefault(item["id"], i)
    for input_id, deps in graph.items():
        for j, dep in enumerate(deps):
            if dep not in graph:
                path = ("inputs", where[input_id], "dependsOn", "inputs", j)
                out.append(Finding(path, f"input '{input_id}' depends on unknown input '{dep}'"))
    cycle = find_cycle(graph)
    if cycle is not None:
        out.append(
            Finding(
                ("inputs", where[cycle[0]], "dependsOn"),
                f"inputs depend on each other in a cycle: {' -> '.join(cycle)}",
                key=True,
            )
        )
    return out


def check_data(data: Mapping[str, Any]) -> list[Finding]:
    """Checks of the flow's data (after plugin defaults), valid or not otherwise."""
    out: list[Finding] = []
    flow_id = data.get("id")
    if isinstance(flow_id, str) and flow_id in RESERVED_FLOW_IDS:
        out.append(
            Finding(("id",), f"flow id '{flow_id}' is reserved ({', '.join(RESERVED_FLOW_IDS)})")
        )
    out += _duplicates([(path, task.get("id")) for path, task in task_nodes(data)], "task")
    out += _duplicates(_listed(data, "triggers"), "trigger")
    out += _duplicates(_listed(data, "inputs"), "input")
    out += _duplicates(_listed(data, "outputs"), "output")
    out += _system_labels(data.get("labels"))
    out += _input_dependencies(data)
    return out


def calls_subflow(task: object) -> bool:
    """Whether a task starts an execution of the flow it names (``namespace`` + ``flowId``):
    the ``subflow`` type, or a type declaring ``calls_subflow = True`` (ForEachItem)."""
    cls = type(task)
    return (
        getattr(cls, "calls_subflow", False) is True or getattr(cls, "type_name", "") == "subflow"
    )


def check_flow(flow: Flow) -> list[Finding]:
    """Checks of a validated flow: calls to itself, and input defaults that do not fit."""
    out: list[Finding] = []
    for path, task in iter_tasks(flow):
        if (
            calls_subflow(task)
            and getattr(task, "namespace", None) == flow.namespace
            and getattr(task, "flow_id", None) == flow.id
        ):
            out.append(
                Finding(
                    path,
                    f"task '{task.id}' runs its own flow {flow.namespace}.{flow.id} as a subflow: "
                    "a flow cannot call itself",
                )
            )
    out += _internal_ids_taken(flow)
    for i, inp in enumerate(flow.inputs):
        out += check_input(i, inp)
    return out


def _internal_ids_taken(flow: Flow) -> list[Finding]:
    """A task whose id is that of an internal step of another task (ForEachItem's
    ``<id>_split``, WorkingDirectory's ``<id>_setup``, ...): the engine would mix them up."""
    written = list(iter_tasks(flow))
    seen = {id(task) for _, task in written}
    internal: dict[str, str] = {}
    for _, task in written:
        for tasks in task.child_task_lists():
            for step in tasks:
                if id(step) not in seen:
                    internal[step.id] = task.id
    return [
        Finding(
            path,
            f"task id '{task.id}' is taken by an internal step of task '{internal[task.id]}'"
            " (rename the task)",
        )
        for path, task in written
        if task.id in internal
    ]


def check_input(index: int, inp: InputBase) -> list[Finding]:
    """An input's ``defaults`` and ``prefill`` must be valid values of it (expressions are
    rendered, and checked, when an execution starts)."""
    out: list[Finding] = []
    for key in ("defaults", "prefill"):
        value = getattr(inp, key)
        if value is None or is_template(value):
            continue
        try:
            inp.parse(value)
        except InputValueError as exc:
            out.append(Finding(("inputs", index, key), f"invalid {key}: {exc.reason}"))
    return out


def validate_flow(flow: Flow) -> list[Finding]:
    """Every check, for a flow built without YAML source (paths only, no positions)."""
    data = flow.model_dump(by_alias=True, exclude_none=True, serialize_as_any=True)
    return [*check_data(data), *check_flow(flow)]
