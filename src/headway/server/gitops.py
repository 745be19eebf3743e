"""Applying a set of flow sources to the store, as GitOps does: plan first, then apply.

A plan compares the given sources with the store's latest revisions and says, for each flow,
whether it is created, updated (with a unified diff), unchanged or, when pruning, deleted.
Every source is validated before anything is written: an invalid flow applies nothing.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any, Literal

from headway.errors import FlowInvalidError, HeadwayError, Problem
from headway.flows.loader import parse_flow
from headway.flows.tasks import TaskTypes
from headway.store.base import FlowRecord, Store

Action = Literal["create", "update", "delete", "unchanged"]


@dataclass(frozen=True)
class FlowSource:
    source: str
    file: str | None = None


@dataclass(frozen=True)
class FlowChange:
    namespace: str
    id: str
    action: Action
    source: str | None = None  # the new source (create, update, unchanged)
    diff: str = ""
    revision: int | None = None  # after apply: the latest revision

    def to_json(self) -> dict[str, Any]:
        return {
            "namespace": self.namespace,
            "id": self.id,
            "action": self.action,
            "diff": self.diff,
            "revision": self.revision,
        }


def in_namespace(namespace: str, prefix: str | None) -> bool:
    return prefix is None or namespace == prefix or namespace.startswith(prefix + ".")


def unified_diff(old: str, new: str, name: str) -> str:
    return "".join(
        difflib.unified_diff(
            old.splitlines(keepends=True),
            new.splitlines(keepends=True),
            fromfile=f"{name} (stored)",
            tofile=f"{name} (new)",
        )
    )


def plan(
    sources: list[FlowSource],
    existing: list[FlowRecord],
    *,
    task_types: TaskTypes,
    namespace: str | None = None,
    prune: bool = False,
) -> list[FlowChange]:
    """The changes that make the store hold ``sources``; raise :class:`FlowInvalidError`
    with every problem of every source if any is invalid."""
    problems: list[Problem] = []
    parsed: dict[tuple[str, str], FlowSource] = {}
    for item in sources:
        try:
            flow = parse_flow(item.source, file=item.file, task_types=task_types)
        except FlowInvalidError as exc:
            problems.extend(exc.problems)
            continue
        key = (flow.namespace, flow.id)
        where = item.file or "<flow>"
        if key in parsed:
            other = parsed[key].file or "<flow>"
            problems.append(Problem(f"flow '{flow.uid}' is also defined in {other}"))
            continue
        if not in_namespace(flow.namespace, namespace):
            problems.append(
                Problem(f"{where}: flow '{flow.uid}' is not in namespace '{namespace}'")
            )
            continue
        parsed[key] = item
    if problems:
        raise FlowInvalidError(problems)
    stored = {(r.namespace, r.id): r for r in existing if in_namespace(r.namespace, namespace)}
    changes: list[FlowChange] = []
    for (ns, flow_id), item in sorted(parsed.items()):
        record = stored.get((ns, flow_id))
        if record is None:
            changes.append(FlowChange(ns, flow_id, "create", item.source))
        elif record.source == item.source:
            changes.append(FlowChange(ns, flow_id, "unchanged", item.source, "", record.revision))
        else:
            diff = unified_diff(record.source, item.source, f"{ns}.{flow_id}")
            changes.append(FlowChange(ns, flow_id, "update", item.source, diff))
    if prune:
        for (ns, flow_id), record in sorted(stored.items()):
            if (ns, flow_id) not in parsed:
                diff = unified_diff(record.source, "", f"{ns}.{flow_id}")
                changes.append(FlowChange(ns, flow_id, "delete", None, diff, record.revision))
    return changes


async def apply(store: Store, tenant: str, changes: list[FlowChange]) -> list[FlowChange]:
    """Write the planned changes; return them with the revisions they produced."""
    done: list[FlowChange] = []
    for change in changes:
        if change.action in ("create", "update"):
            if change.source is None:
                raise HeadwayError(f"flow '{change.namespace}.{change.id}': no source to save")
            record = await store.save_flow(tenant, change.namespace, change.id, change.source)
            change = FlowChange(
                change.namespace, change.id, change.action, None, change.diff, record.revision
            )
        elif change.action == "delete":
            await store.delete_flow(tenant, change.namespace, change.id)
        done.append(change)
    return done


def summary(changes: list[FlowChange]) -> dict[str, int]:
    counts = {"create": 0, "update": 0, "delete": 0, "unchanged": 0}
    for change in changes:
        counts[change.action] += 1
    return counts


# --- namespace files ---------------------------------------------------------------------


@dataclass(frozen=True)
class FileChange:
    path: str
    action: Action
    size: int = 0
    diff: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "action": self.action, "size": self.size, "diff": self.diff}


def _text_diff(old: bytes, new: bytes, path: str) -> str:
    try:
        return unified_diff(old.decode("utf-8"), new.decode("utf-8"), path)
    except UnicodeDecodeError:
        return f"binary file: {len(old)} bytes -> {len(new)} bytes\n"


def plan_files(
    given: dict[str, bytes], stored: dict[str, bytes], *, prune: bool = False
) -> list[FileChange]:
    """The changes that make a namespace's files hold ``given`` (path to content); with
    ``prune``, the stored files not given are deleted."""
    changes: list[FileChange] = []
    for path, content in sorted(given.items()):
        old = stored.get(path)
        if old is None:
            changes.append(FileChange(path, "create", len(content)))
        elif old == content:
            changes.append(FileChange(path, "unchanged", len(content)))
        else:
            changes.append(FileChange(path, "update", len(content), _text_diff(old, content, path)))
    if prune:
        for path, old in sorted(stored.items()):
            if path not in given:
                changes.append(FileChange(path, "delete", len(old)))
    return changes


def file_summary(changes: list[FileChange]) -> dict[str, int]:
    counts = {"create": 0, "update": 0, "delete": 0, "unchanged": 0}
    for change in changes:
        counts[change.action] += 1
    return counts
