"""The floor of the script workloads: the same processes started from Python, nothing around
them (no engine, no state, no working directory).

``shell``: ``subprocess.run(["echo", "value i*i"])`` for each task (fork+exec of the same
command, its output read); ``python``: ``python -c 'print("value i*i")'`` with the running
interpreter (the start-up of ``python -c pass`` plus one print), as each engine's Python
tasks run with its own interpreter. Each engine's side times this between its own runs of the
workload, in its own process, so that the floor and the figure share the machine's load of
the moment (standard library only: peers import it too).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

from bench.workloads import SCRIPT_KINDS, python_code, shell_command


def bare(kind: str, n: int) -> Callable[[], None] | None:
    """The n processes of a script workload, started one after another; None for a workload
    that starts none."""
    if kind not in SCRIPT_KINDS:
        return None
    if kind == "shell":
        commands = [shell_command(i) for i in range(n)]
    else:
        commands = [[sys.executable, "-c", python_code(i)] for i in range(n)]

    def once() -> None:
        for command in commands:
            subprocess.run(command, stdout=subprocess.PIPE, check=True)

    return once
