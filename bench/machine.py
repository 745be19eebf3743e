"""The machine's own limits, measured in the same run as the engines."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def sqlite_commits_per_second(synchronous: str, seconds: float) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        conn = sqlite3.connect(Path(tmp) / "floor.db", isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={synchronous}")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        count = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            conn.execute("BEGIN")
            conn.execute("INSERT INTO t (v) VALUES ('x')")
            conn.execute("COMMIT")
            count += 1
        elapsed = time.perf_counter() - start
        conn.close()
        return count / elapsed


def fsyncs_per_second(seconds: float) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        fd = os.open(Path(tmp) / "f", os.O_WRONLY | os.O_CREAT)
        count = 0
        start = time.perf_counter()
        while time.perf_counter() - start < seconds:
            os.write(fd, b"x")
            os.fsync(fd)
            count += 1
        elapsed = time.perf_counter() - start
        os.close(fd)
        return count / elapsed


def spawns_per_second(cmd: list[str], seconds: float) -> float:
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds or count == 0:
        subprocess.run(cmd, check=True)
        count += 1
    return count / (time.perf_counter() - start)


def describe() -> dict[str, object]:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "python": platform.python_version(),
        "arch": platform.machine(),
        "system": f"{platform.system()} {platform.release()}",
    }


def floors(quick: bool) -> dict[str, float]:
    seconds = 0.5 if quick else 1.0
    return {
        "sqlite_commits_per_s_normal": sqlite_commits_per_second("NORMAL", seconds),
        "sqlite_commits_per_s_full": sqlite_commits_per_second("FULL", seconds),
        "fsyncs_per_s": fsyncs_per_second(seconds),
        "fork_exec_true_per_s": spawns_per_second(["/bin/true"], seconds),
        "python_startup_ms": 1000 / spawns_per_second([sys.executable, "-c", "pass"], seconds),
    }
