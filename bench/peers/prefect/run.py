"""Prefect 3: a @flow calling @task functions, against a local ephemeral API server on
SQLite (the harness sets PREFECT_HOME to a temporary directory and leaves PREFECT_API_URL
unset, so Prefect starts its own server; task and flow states are recorded there)."""

from __future__ import annotations

import time
from collections.abc import Callable

import prefect
from prefect import flow, task

from bench.peers.common import main, parse, value


@task
def work(i: int) -> str:
    return value(i)


@task
def join(results: list[str]) -> int:
    return len(results)


@task
def sleeper(i: int) -> None:
    time.sleep(1)


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
