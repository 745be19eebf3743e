"""Running a command with a timeout while sampling the peak RSS of its process tree."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

PAGE = os.sysconf("SC_PAGE_SIZE")


class Failed(Exception):
    """The command failed or timed out; the message says why."""


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_rss(pid: int) -> int:
    """Resident bytes of pid and all its descendants (0 once gone)."""
    tree = _children()
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        with contextlib.suppress(OSError, IndexError, ValueError):
            total += int(Path(f"/proc/{p}/statm").read_text().split()[1]) * PAGE
        todo += tree.get(p, [])
    return total


def run_measured(
    cmd: list[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float,
    interval: float = 0.05,
) -> tuple[float, float]:
    """Run cmd; return (wall seconds, peak RSS of its process tree in MiB). Raises Failed."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        cmd,
        env=dict(env) if env is not None else None,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    peak = 0
    deadline = start + timeout
    while proc.poll() is None:
        if time.perf_counter() > deadline:
            proc.kill()
            proc.communicate()
            raise Failed(f"timed out after {timeout:.0f} s")
        peak = max(peak, tree_rss(proc.pid))
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(timeout=interval)
    elapsed = time.perf_counter() - start
    out, err = proc.communicate()
    if proc.returncode:
        tail = (err or out).decode(errors="replace").strip().splitlines()[-3:]
        raise Failed(f"exit {proc.returncode}: {' | '.join(tail)}")
    return elapsed, peak / 2**20
