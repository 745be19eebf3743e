"""Prefect 3: a @flow calling @task functions, against a local ephemeral API server on
SQLite (the harness sets PREFECT_HOME to a temporary directory and leaves PREFECT_API_URL
unset, so Prefect starts its own server; task and flow states are recorded there)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import prefect
from prefect import flow, task

from bench.peers.common import main, parse, value
from bench.workloads import python_code, shell_command


@task
def work(i: int) -> str:
    return value(i)


@task
def join(results: list[str]) -> int:
    return len(results)


@task
def sleeper(i: int) -> None:
    time.sleep(1)


@task
def shell(i: int) -> str:
    return subprocess.run(shell_command(i), capture_output=True, text=True, check=True).stdout


@task
def python(i: int) -> str:
    command = [sys.executable, "-c", python_code(i)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def make_flow(name: str, kind: str, n: int) -> Callable[[], object]:
    if kind in ("empty", "seq", "scale"):

        @flow(name=name)
        def seq_flow() -> None:
            for i in range(n):
                work(i)

        return seq_flow
    if kind == "fanout":

        @flow(name=name)
        def fan_flow() -> int:
            futures = work.map(range(n))
            return join(futures.result())

        return fan_flow
    if kind in ("shell", "python"):
        script = shell if kind == "shell" else python

        @flow(name=name)
        def script_flow() -> None:
            for i in range(n):
                script(i)

        return script_flow
    if kind == "long":

        @flow(name=name)
        def long_flow() -> None:
            sleeper.map(range(n)).wait()

        return long_flow
    raise ValueError(kind)


def run() -> None:
    args = parse()
    main(args, prefect.__version__, make_flow)


if __name__ == "__main__":
    run()
