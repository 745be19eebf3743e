"""The workloads, by name, and Headway's flows for them (Kestra YAML).

Each workload has a size ``n``; every engine runs the same shape:

- ``empty``: a flow of one trivial task (the baseline subtracted from the others);
- ``seq``: ``n`` trivial tasks one after another;
- ``fanout``: one task fans out to ``n`` concurrent trivial tasks, a final task joins;
- ``long``: ``n`` tasks sleeping 1 s, all in parallel;
- ``scale``: a loop over ``n`` items, one trivial task per item, one item at a time;
- ``shell``: ``n`` shell tasks one after another, each running ``echo 'value i*i'``;
- ``python``: ``n`` Python script tasks one after another, each a fresh interpreter running
  ``print("value i*i")``.

A trivial task returns a small computation (a formatted string), so that the engine's
overhead dominates. A script task's cost includes its process; the reference
(``bench/reference.py``) starts the same processes with nothing around them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Workload:
    name: str  # as in --only and in the results: seq40, fanout1000, scale10k ...
    kind: str  # empty, seq, fanout, long, scale, shell, python
    n: int
    quick: bool = True  # part of --quick

    @property
    def units(self) -> int:
        """What the overhead is divided by: tasks (or items) beyond the baseline."""
        return self.n


WORKLOADS = [
    Workload("empty", "empty", 1),
    Workload("seq40", "seq", 40),
    Workload("seq400", "seq", 400),
    Workload("fanout100", "fanout", 100),
    Workload("fanout1000", "fanout", 1000),
    Workload("long10", "long", 10),
    Workload("scale1k", "scale", 1_000),
    Workload("scale10k", "scale", 10_000),
    Workload("scale100k", "scale", 100_000, quick=False),
    Workload("shell100", "shell", 100),
    Workload("python100", "python", 100),
]
BY_NAME = {w.name: w for w in WORKLOADS}
# Measured end to end (a fresh process) as well as warm.
END_TO_END = ("empty", "seq40", "seq400")
# Each task starts a process: read against the reference (the same processes, bare).
SCRIPT_KINDS = ("shell", "python")


def shell_command(i: int) -> list[str]:
    """The i-th shell task's command: what every engine runs (and the reference execs)."""
    return ["echo", f"value {i * i}"]


def python_code(i: int) -> str:
    """The i-th Python task's script."""
    return f'print("value {i * i}")'


def headway_flow(workload: Workload) -> str:
    flow_id = workload.name
    head = [f"id: {flow_id}", "namespace: bench", "tasks:"]
    if workload.kind == "empty":
        return _lines(head + _return("t0", "'value 0'", 2))
    if workload.kind == "seq":
        body: list[str] = []
        for n in range(workload.n):
            body += _return(f"t{n}", f"'value {n * n}'", 2)
        return _lines(head + body)
    if workload.kind in ("fanout", "scale"):
        limit = 0 if workload.kind == "fanout" else 1
        values = json.dumps(list(range(workload.n)), separators=(",", ":"))
        return _lines(
            [
                *head,
                "  - id: each",
                "    type: io.kestra.plugin.core.flow.ForEach",
                f"    values: '{values}'",
                f"    concurrencyLimit: {limit}",
                "    tasks:",
                *_return("work", "'value {{ taskrun.value }}'", 6),
                "  - id: join",
                "    type: io.kestra.plugin.core.log.Log",
                f"    message: 'joined {workload.n}'",
            ]
        )
    if workload.kind in SCRIPT_KINDS:
        body = []
        for n in range(workload.n):
            body += _script(workload.kind, f"t{n}", n)
        return _lines(head + body)
    if workload.kind == "long":
        body = [
            "  - id: all",
            "    type: io.kestra.plugin.core.flow.Parallel",
            "    tasks:",
        ]
        for n in range(workload.n):
            body += [
                f"      - id: sleep{n}",
                "        type: io.kestra.plugin.core.flow.Sleep",
                "        duration: PT1S",
            ]
        return _lines(head + body)
    raise ValueError(workload.kind)


def _return(task_id: str, fmt: str, indent: int) -> list[str]:
    pad = " " * indent
    return [
        f"{pad}- id: {task_id}",
        f"{pad}  type: io.kestra.plugin.core.debug.Return",
        f"{pad}  format: {fmt}",
    ]


def _script(kind: str, task_id: str, i: int) -> list[str]:
    """A script task on the Process runner, as a Kestra user would write it (Kestra's
    default runner is Docker; Headway runs only the Process runner)."""
    if kind == "shell":
        echo, text = shell_command(i)
        plugin, body = "shell.Commands", ["    commands:", f"      - {echo} '{text}'"]
    else:
        plugin, body = "python.Script", ["    script: |", f"      {python_code(i)}"]
    return [
        f"  - id: {task_id}",
        f"    type: io.kestra.plugin.scripts.{plugin}",
        "    taskRunner:",
        "      type: io.kestra.plugin.core.runner.Process",
        *body,
    ]


def _lines(lines: list[str]) -> str:
    return "\n".join(lines) + "\n"
