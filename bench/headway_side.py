"""Headway's side: the workloads on a warm engine in this process (SQLite store, every
state change durable), and end to end as ``python -m headway run FILE`` in a fresh process.

    python -m bench.headway_side WORKLOAD [WORKLOAD ...] --runs 5

prints one JSON line per workload: {"workload": ..., "times": [seconds ...]}, and for a script
workload "floor_times" (the protocol of ``bench/peers/common.py``). The harness
runs it in a subprocess so that each engine's warm figures come from a process of its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.procs import run_measured
from bench.reference import bare
from bench.workloads import BY_NAME, headway_flow


def version() -> str:
    from importlib.metadata import version as dist_version

    return dist_version("headway")


async def warm(names: list[str], runs: int, budget: float) -> list[dict[str, Any]]:
    from headway.engine.engine import Engine
    from headway.engine.flows import FlowRepository, LocalFlow
    from headway.flows.loader import parse_flow
    from headway.plugins.registry import default_registry
    from headway.settings import Settings
    from headway.state import State
    from headway.store import open_store

    registry = default_registry()
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load({"home": Path(tmp)}, environ={})
        store = open_store(f"sqlite:///{Path(tmp) / 'bench.db'}")
        await store.open()
        local = {}
        for name in names:
            source = headway_flow(BY_NAME[name])
            parse_flow(source, task_types=registry)
            local[("bench", name)] = LocalFlow(source, f"{name}.yaml")
        repo = FlowRepository(store, registry, local=local)
        engine = Engine(store, settings, registry=registry, flows=repo)
        await engine.start()
        try:
            for name in names:
                floor = bare(BY_NAME[name].kind, BY_NAME[name].n)
                times: list[float] = []
                floors: list[float] = []
                spent = 0.0
                for run in range(runs + 1):  # the first run warms caches and is dropped
                    start = time.perf_counter()
                    done = await engine.run_flow("bench", name, {})
                    elapsed = time.perf_counter() - start
                    if done.current is not State.SUCCESS:
                        raise RuntimeError(f"{name} ended {done.current}")
                    floor_elapsed = 0.0
                    if floor is not None and run:  # the bare processes, same load
                        start = time.perf_counter()
                        floor()
                        floor_elapsed = time.perf_counter() - start
                    spent += elapsed + floor_elapsed
                    if run:
                        times.append(elapsed)
                        floors.append(floor_elapsed)
                    if times and spent + elapsed + floor_elapsed > budget:
                        break  # at least one run, and no run past the budget
                line: dict[str, Any] = {"workload": name, "times": times, "version": version()}
                if floor is not None:
                    line["floor_times"] = floors
                out.append(line)
                print(json.dumps(line), flush=True)
        finally:
            await engine.stop()
            await store.close()
    return out


def end_to_end(name: str, runs: int, timeout: float) -> dict[str, Any]:
    """``headway run`` of the workload's flow in a fresh process, runs times."""
    times: list[float] = []
    rss: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "HEADWAY_HOME": tmp}
        path = Path(tmp) / f"{name}.yaml"
        path.write_text(headway_flow(BY_NAME[name]))
        cmd = [sys.executable, "-m", "headway", "run", str(path)]
        for _ in range(runs):
            elapsed, peak = run_measured(cmd, env=env, timeout=timeout)
            times.append(elapsed)
            rss.append(peak)
    return {"times": times, "peak_rss_mib": rss}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workloads", nargs="+")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per workload")
    args = parser.parse_args()
    asyncio.run(warm(args.workloads, args.runs, args.budget))


if __name__ == "__main__":
    main()
