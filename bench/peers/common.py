"""The protocol between the harness and a peer's script (standard library only).

    python -m bench.peers.<peer>.run WORKLOAD [WORKLOAD ...] --runs 5 --budget 60 [--mode M]
        [--no-warmup]

Builds each workload with the peer's ``build(name, kind, n)`` (a callable that runs it once) and
prints one JSON line per workload: {"workload", "times", "version"} or {"workload", "error"}.
The first run of each workload warms caches and is dropped (unless --no-warmup); runs stop
early, keeping at least one, once the next would go over the budget (seconds per workload).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from collections.abc import Callable

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
            times: list[float] = []
            spent = 0.0
            for run in range(args.runs + (0 if args.no_warmup else 1)):
                start = time.perf_counter()
                once()
                elapsed = time.perf_counter() - start
                spent += elapsed
                if run or args.no_warmup:
                    times.append(elapsed)
                if times and len(times) < args.runs and spent + elapsed > args.budget:
                    break
            line = {"workload": name, "times": times, "version": version}
        except Exception as exc:  # noqa: BLE001 - reported, and the next workload still runs
            traceback.print_exc()
            line = {"workload": name, "error": f"{type(exc).__name__}: {exc}"[:300]}
        print(json.dumps(line), flush=True)
    sys.stdout.flush()


def value(i: int) -> str:
    """The trivial task's small computation."""
    return f"value {i * i}"
