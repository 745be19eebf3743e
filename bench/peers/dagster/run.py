"""Dagster: ops in a job, ``execute_in_process`` on a SQLite-backed instance (durable) or an
ephemeral in-memory one (a non-durable reference)."""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable

import dagster as dg

from bench.peers.common import main, parse, value


def make_job(name: str, kind: str, n: int) -> dg.JobDefinition:
    if kind in ("empty", "seq"):
        ops = [_step(i) for i in range(n)]

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


def _step(i: int) -> dg.OpDefinition:
    if i == 0:

        @dg.op(name=f"t{i}")
        def first() -> str:
            return value(i)

        return first

    @dg.op(name=f"t{i}")
    def step(prev: str) -> str:
        return value(i)

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
