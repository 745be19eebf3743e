"""Filling a SQLite store with ended executions for ``list100k``, through the store API
(``Store.commit`` in batches), before the server starts on it.

    python -m bench.server_seed DB_PATH COUNT [--big 500]

prints one JSON line: {"seeded": COUNT, "big_id": ID, "seconds": ...}. The spread is meant
to look like a team's history: 12 namespaces in 3 trees, 5 flows each, mostly SUCCESS with
some FAILED, WARNING and KILLED, two or three labels each, start dates over the last 30
days, 1 to 4 TaskRuns each. ``big_id`` is one more execution with ``--big`` TaskRuns (a
ForEach parent and its children), for the execution page.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
from datetime import UTC, datetime, timedelta
from typing import Any

NAMESPACES = [
    "company",
    "company.team",
    "company.team.sales",
    "company.team.marketing",
    "company.data",
    "company.data.etl",
    "company.data.ml",
    "ops",
    "ops.infra",
    "ops.backups",
    "dev.sandbox",
    "dev.tests",
]
FLOWS = ["ingest", "report", "sync", "cleanup", "notify"]
STATES = [("SUCCESS", 85), ("FAILED", 8), ("WARNING", 5), ("KILLED", 2)]
TEAMS = ["sales", "marketing", "data", "infra"]
BATCH = 1000
BIG_NAMESPACE = "company.data"  # the execution with many TaskRuns: flow "big" there


def flow_sources() -> dict[str, str]:
    """The flows the seeded executions are of (file name -> YAML), so that the UI's pages
    find them: tasks task0..task3, and ``big``'s ForEach ``each`` over ``work``."""
    out = {}
    tasks = "".join(
        f"  - id: task{i}\n    type: io.kestra.plugin.core.debug.Return\n    format: 'v{i}'\n"
        for i in range(4)
    )
    for namespace in NAMESPACES:
        for flow_id in FLOWS:
            out[f"{namespace}.{flow_id}.yaml"] = (
                f"id: {flow_id}\nnamespace: {namespace}\ntasks:\n{tasks}"
            )
    out["big.yaml"] = (
        f"id: big\nnamespace: {BIG_NAMESPACE}\ntasks:\n"
        "  - id: each\n    type: io.kestra.plugin.core.flow.ForEach\n"
        "    values: '[1, 2, 3]'\n    tasks:\n"
        "      - id: work\n        type: io.kestra.plugin.core.debug.Return\n"
        "        format: '{{ taskrun.value }}'\n"
    )
    return out


def _state(final: str, start: datetime, seconds: float) -> Any:
    from headway.execution import StateRecord
    from headway.state import State

    end = start + timedelta(seconds=seconds)
    middle = start + timedelta(seconds=min(0.05, seconds / 2))
    final_state = State.KILLED if final == "KILLED" else State(final)
    history = [(State.CREATED, start), (State.RUNNING, middle)]
    if final_state is State.KILLED:
        history.append((State.KILLING, end - timedelta(milliseconds=1)))
    history.append((final_state, end))
    return StateRecord(final_state, history)


def execution(rng: random.Random, now: datetime, task_runs: int | None = None) -> Any:
    """One ended execution with its TaskRuns (``task_runs`` of them: a ForEach parent and
    its children; else 1 to 4 tasks one after another)."""
    from headway.execution import Attempt, Execution, TaskRun, new_id

    namespace = rng.choice(NAMESPACES)
    flow_id = rng.choice(FLOWS)
    final = rng.choices([s for s, _ in STATES], weights=[w for _, w in STATES])[0]
    start = now - timedelta(seconds=rng.uniform(0, 30 * 86400))
    labels = [
        {"key": "env", "value": rng.choice(["prod", "prod", "staging", "dev"])},
        {"key": "team", "value": rng.choice(TEAMS)},
    ]
    if rng.random() < 0.1:
        labels.append({"key": "ticket", "value": f"OPS-{rng.randint(1, 999)}"})
    eid = new_id()
    runs: list[TaskRun] = []
    count = task_runs or rng.randint(1, 4)
    at = start + timedelta(milliseconds=20)
    parent = None
    for i in range(count):
        seconds = rng.uniform(0.01, 2.0)
        last = i == count - 1
        state = final if last and task_runs is None else "SUCCESS"
        record = _state(state, at, seconds)
        tr = TaskRun(
            id=new_id(),
            execution_id=eid,
            task_id=f"task{i}" if task_runs is None else ("each" if i == 0 else "work"),
            state=record,
            attempts=[Attempt(_state(state, at, seconds), worker_id="bench")],
            outputs={"value": f"value {i * i}"},
            parent_task_run_id=parent,
            value=None if task_runs is None or i == 0 else str(i),
        )
        if task_runs is not None and i == 0:
            parent = tr.id
        runs.append(tr)
        at = at + timedelta(seconds=seconds if task_runs is None else 0.002)
    seconds = (at - start).total_seconds() + 0.01
    return Execution(
        id=eid,
        namespace=namespace if task_runs is None else BIG_NAMESPACE,
        flow_id=flow_id if task_runs is None else "big",
        flow_revision=1,
        state=_state(final if task_runs is None else "SUCCESS", start, seconds),
        inputs={"day": f"{start:%Y-%m-%d}"},
        labels=labels,
        task_runs=runs,
    )


async def seed(db: str, count: int, big: int) -> dict[str, Any]:
    from headway.store import open_store
    from headway.store.base import Batch

    rng = random.Random(7)
    now = datetime.now(UTC)
    store = open_store(f"sqlite:///{db}")
    await store.open()
    started = time.perf_counter()
    try:
        for first in range(0, count, BATCH):
            batch = Batch()
            for _ in range(min(BATCH, count - first)):
                e = execution(rng, now)
                batch.executions.append(e)
                batch.task_runs += e.task_runs
            await store.commit(batch)
        big_execution = execution(rng, now - timedelta(minutes=5), task_runs=big)
        await store.commit(
            Batch(executions=[big_execution], task_runs=list(big_execution.task_runs))
        )
    finally:
        await store.close()
    return {
        "seeded": count,
        "big_id": big_execution.id,
        "big_task_runs": big,
        "seconds": time.perf_counter() - started,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db")
    parser.add_argument("count", type=int)
    parser.add_argument("--big", type=int, default=500)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(seed(args.db, args.count, args.big))), flush=True)


if __name__ == "__main__":
    main()
