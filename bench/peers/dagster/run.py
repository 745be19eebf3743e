"""Dagster: ops in a job, ``execute_in_process`` on a SQLite-backed instance (durable) or an
ephemeral in-memory one (a non-durable reference)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import dagster as dg

from bench.peers.common import main, parse, value
from bench.workloads import python_code, shell_command


def make_job(name: str, kind: str, n: int) -> dg.JobDefinition:
    if kind in ("empty", "seq", "shell", "python"):
        ops = [_step(i, kind) for i in range(n)]

        @dg.job(name=name)
        def seq_job() -> None:
            prev = ops[0]()
            for step in ops[1:]:
                prev = step(prev)

        return seq_job

    if kind in ("fanout", "scale"):

        @dg.op(out=dg.DynamicOut(int))
        def start():  # type: ignore[no-untyped-def]
            for i in range(n):
                yield dg.DynamicOutput(i, mapping_key=str(i))

        @dg.op
        def work(i: int) -> str:
            return value(i)

        @dg.op
        def join(results: list[str]) -> int:
            return len(results)

        @dg.job(name=name)
        def fan_job() -> None:
            join(start().map(work).collect())

        return fan_job

    if kind == "long":
        sleepers = [_sleeper(i) for i in range(n)]

        @dg.job(name=name)
        def long_job() -> None:
            for sleeper in sleepers:
                sleeper()

        return long_job
    raise ValueError(kind)


def _step(i: int, kind: str) -> dg.OpDefinition:
    """The i-th op of a chain: a trivial computation, or a subprocess for script kinds."""

    def work() -> str:
        if kind == "shell":
            command = shell_command(i)
        elif kind == "python":
            command = [sys.executable, "-c", python_code(i)]
        else:
            return value(i)
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout

    if i == 0:

        @dg.op(name=f"t{i}")
        def first() -> str:
            return work()

        return first

    @dg.op(name=f"t{i}")
    def step(prev: str) -> str:
        return work()

    return step


def _sleeper(i: int) -> dg.OpDefinition:
    @dg.op(name=f"sleep{i}")
    def sleeper() -> None:
        time.sleep(1)

    return sleeper


def run() -> None:
    args = parse(("durable", "memory"))
    if args.mode == "durable":
        tmp = tempfile.TemporaryDirectory()
        instance = dg.DagsterInstance.local_temp(tmp.name)  # SQLite run/event storage
    else:
        instance = dg.DagsterInstance.ephemeral()

    def build(name: str, kind: str, n: int) -> Callable[[], object]:
        job = make_job(name, kind, n)

        def once() -> object:
            result = job.execute_in_process(instance=instance)
            assert result.success
            return result

        return once

    main(args, dg.__version__, build)


if __name__ == "__main__":
    run()
