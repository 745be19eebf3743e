"""The floor of the script workloads: the same processes started from Python, nothing around
them (no engine, no state, no working directory).

    python -m bench.reference WORKLOAD [WORKLOAD ...] --runs 5 --budget 60

``shell100``: ``subprocess.run(["echo", "value i*i"])`` 100 times (fork+exec of the same
command, its output read); ``python100``: ``python -c 'print("value i*i")'`` 100 times
with this interpreter (the start-up of ``python -c pass`` plus one print); ``empty``: nothing,
so that the harness's baseline is 0. Prints the lines of ``bench/peers/common.py``.
"""

from __future__ import annotations

import platform
import subprocess
import sys
from collections.abc import Callable

from bench.peers.common import main, parse
from bench.workloads import python_code, shell_command


def build(name: str, kind: str, n: int) -> Callable[[], object]:
    if kind == "empty":
        return lambda: None
    if kind == "shell":
        commands = [shell_command(i) for i in range(n)]
    elif kind == "python":
        commands = [[sys.executable, "-c", python_code(i)] for i in range(n)]
    else:
        raise ValueError(f"no reference for {kind} workloads")

    def once() -> None:
        for command in commands:
            subprocess.run(command, stdout=subprocess.PIPE, check=True)

    return once


def run() -> None:
    main(parse(), f"Python {platform.python_version()}", build)


if __name__ == "__main__":
    run()
