"""The protocol between the harness and a peer's script (standard library only).

    python -m bench.peers.<peer>.run WORKLOAD [WORKLOAD ...] --runs 5 --budget 60 [--mode M]
        [--no-warmup]

Builds each workload with the peer's ``build(name, kind, n)`` (a callable that runs it once) and
prints one JSON line per workload: {"workload", "times", "version"} or {"workload", "error"};
for a script workload also "floor_times", the bare processes (``bench/reference.py``) timed
after each run. The first run of each workload warms caches and is dropped (unless
--no-warmup); runs stop early, keeping at least one, once the next would go over the budget
(seconds per workload).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable

from bench.reference import bare
from bench.workloads import WORKLOADS

# name -> (kind, n), from the one list of workloads (standard library only, like this module)
SIZES = {w.name: (w.kind, w.n) for w in WORKLOADS}


def parse(modes: tuple[str, ...] = ("default",)) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("workloads", nargs="*")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--budget", type=float, default=60.0)
    parser.add_argument("--mode", choices=modes, default=modes[0])
    parser.add_argument("--no-warmup", action="store_true")
    parser.add_argument("--prepare", action="store_true")
    return parser.parse_args()


def main(
    args: argparse.Namespace,
    version: str,
    build: Callable[[str, str, int], Callable[[], object]],
) -> None:
    for name in args.workloads:
        kind, n = SIZES[name]
        try:
            once = build(name, kind, n)
            got = timed(once, bare(kind, n), args.runs, args.budget, not args.no_warmup)
            line = {"workload": name, **got, "version": version}
        except Exception as exc:  # noqa: BLE001 - reported, and the next workload still runs
            traceback.print_exc()
            line = {"workload": name, "error": f"{type(exc).__name__}: {exc}"[:300]}
        print(json.dumps(line), flush=True)
    sys.stdout.flush()


def timed(
    once: Callable[[], object],
    floor: Callable[[], object] | None,
    runs: int,
    budget: float,
    warmup: bool = True,
) -> dict[str, list[float]]:
    """{"times": [...]} of the runs of ``once`` and, with a ``floor``, {"floor_times": [...]}
    of the floor timed right after each run, in the same process under the same load."""
    times: list[float] = []
    floors: list[float] = []
    spent = 0.0
    for run in range(runs + (1 if warmup else 0)):
        elapsed = _clock(once)
        kept = bool(run or not warmup)
        floor_elapsed = _clock(floor) if floor is not None and kept else 0.0
        spent += elapsed + floor_elapsed
        if kept:
            times.append(elapsed)
            floors.append(floor_elapsed)
        if times and len(times) < runs and spent + elapsed + floor_elapsed > budget:
            break
    return {"times": times, "floor_times": floors} if floor is not None else {"times": times}


def _clock(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def value(i: int) -> str:
    """The trivial task's small computation."""
    return f"value {i * i}"
