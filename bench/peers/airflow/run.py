"""Apache Airflow 3: TaskFlow DAGs run with ``dag.test()`` (in-process, tasks one after
another) against a SQLite metadata database in AIRFLOW_HOME, which the harness points at a
directory of its own and initialises with ``airflow db migrate`` (``--prepare``)."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from bench.peers.common import main, parse, value
from bench.workloads import python_code, shell_command

DAG_FILE = """import sys
sys.path.insert(0, {root!r})
from bench.peers.airflow.run import build_dag
dag = build_dag({name!r}, {kind!r}, {n!r})
"""


def build_dag(name: str, kind: str, n: int) -> object:
    """The workload as a DAG; dag.test() finds it through a file in the dags folder."""
    from airflow.providers.standard.operators.bash import BashOperator
    from airflow.sdk import dag, task

    @task
    def work(i: int) -> str:
        return value(i)

    @dag(dag_id=name, schedule=None, start_date=datetime(2026, 1, 1), catchup=False)
    def bench_dag() -> None:
        if kind in ("empty", "seq"):
            prev = None
            for i in range(n):
                step = work.override(task_id=f"t{i}")(i)
                if prev is not None:
                    prev >> step
                prev = step
        elif kind in ("fanout", "scale"):

            @task
            def start() -> list[int]:
                return list(range(n))

            @task
            def join(results: list[str]) -> int:
                return len(list(results))

            join(work.expand(i=start()))
        elif kind in ("shell", "python"):
            prev = None
            for i in range(n):
                if kind == "shell":
                    command = shlex.join(shell_command(i))
                else:
                    command = shlex.join([sys.executable, "-c", python_code(i)])
                step = BashOperator(task_id=f"t{i}", bash_command=command)
                if prev is not None:
                    prev >> step
                prev = step
        elif kind == "long":

            @task
            def sleeper(i: int) -> None:
                time.sleep(1)

            for i in range(n):
                sleeper.override(task_id=f"sleep{i}")(i)
        else:
            raise ValueError(kind)

    return bench_dag()


def make_dag(name: str, kind: str, n: int) -> Callable[[], object]:
    folder = Path(os.environ["AIRFLOW_HOME"]) / "dags"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("bench_*.py"):
        old.unlink()
    root = str(Path(__file__).resolve().parents[3])
    (folder / f"bench_{name}.py").write_text(DAG_FILE.format(root=root, name=name, kind=kind, n=n))
    the_dag: Any = build_dag(name, kind, n)

    def once() -> object:
        run = the_dag.test()
        assert str(run.state) in ("success", "DagRunState.SUCCESS"), run.state
        return run

    return once


def run() -> None:
    args = parse()
    if args.prepare:
        subprocess.run(
            [sys.executable, "-m", "airflow", "db", "migrate"], check=True, env=os.environ
        )
        return
    import airflow

    main(args, airflow.__version__, make_dag)


if __name__ == "__main__":
    run()
