"""pgworkers: TaskRuns per second through PostgreSQL with 1, 2 and 4 worker processes, and
the latency from a TaskRun becoming ready to its start on a worker (issue 5).

For each worker count N and each of two loads (``LOADS``), on a fresh database of the local
PostgreSQL server (dropped at the end):

- one ``headway server`` with the API, the executor and the scheduler and no worker
  (``SERVER_ARGS``), and N ``headway worker`` processes (``WORKER_ARGS``), each with its own
  temporary HEADWAY_HOME and the load's ``slots``; N = 0 is the all-in-one ``headway
  server`` (its own worker, TaskRuns handed over in memory): the reference the distributed
  mode is read against;
- a flow of ``TASKS`` trivial tasks (``io.kestra.plugin.core.debug.Return``: a
  RunnableTask, so each runs on a worker, never in the executor) one after another, applied
  through the API;
- a closed loop of the load's ``in_flight`` clients, each starting an execution with
  ``POST /api/v1/executions/{namespace}/{id}?wait=true`` (answered when it ends, with its
  TaskRuns) and the next as soon as it is answered, until ``executions`` are done (after a
  warm-up not counted). At most ``in_flight`` TaskRuns are ready at once, never more than the
  slots of one worker: a TaskRun never waits for a free slot, so its latency is the
  hand-over (commit, wake-up, claim), not a queue. The two loads: ``latency`` (``LATENCY``,
  16 clients, 32 slots), which issue 5's ready-to-start target is read from, and
  ``throughput`` (``THROUGHPUT``, 64 clients, 64 slots), which its TaskRuns/s target is read
  from;
- TaskRuns/s = the TaskRuns the workers ran / (the last execution's end - the first
  request); latency = per TaskRun, its CREATED date (written by the executor as it enqueues
  it) to its first attempt's RUNNING date (the worker's start), p50 / p99 / max;
- the CPU seconds of the server, the workers, the database's PostgreSQL backends, the client
  and the rest of the machine over the measured window (the machine has 2 cores: they share
  them), and PostgreSQL's own counts for the database (transactions, rows).

``python -m bench --only pgworkers`` runs it; one record per worker count and load, ``mode``
``workers``, its ``load`` named (see ``bench/report_pgworkers.py`` for the page's section).
"""

from __future__ import annotations

import asyncio
import contextlib
import getpass
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from bench.loadgen import Connections, Outcome, summary_ms
from bench.server import free_port
from bench.server import load as load_average

NAME = "pgworkers"
NAMESPACE = "bench.pgworkers"
FLOW_ID = "trivial"
TASKS = 10  # Return tasks per execution, one after another
# The worker counts measured: 0 is the all-in-one server (its own worker, no separate one).
WORKER_COUNTS = (0, 1, 2, 4)
# `headway server` without a worker, and the worker process (commands of `python -m headway`).
SERVER_ARGS = ("server", "--components", "api,executor,scheduler")
ALL_IN_ONE_ARGS = ("server",)
WORKER_ARGS = ("worker",)
ADMIN_URL_VARIABLE = "HEADWAY_BENCH_POSTGRES_URL"  # the server to create databases on
DEFAULT_ADMIN_URLS = (
    "postgresql://postgres@127.0.0.1:5432/postgres",
    f"postgresql://{getpass.getuser()}@127.0.0.1:5432/postgres",
)
ROOT = Path(__file__).resolve().parents[1]

FLOW = f"""\
id: {FLOW_ID}
namespace: {NAMESPACE}
tasks:
""" + "".join(
    f"""\
  - id: t{i}
    type: io.kestra.plugin.core.debug.Return
    format: "{i}"
"""
    for i in range(TASKS)
)


@dataclass(frozen=True)
class Load:
    """What a worker count is measured under: the clients of the closed loop and the slots
    of each worker process (HEADWAY_WORKER_SLOTS). ``in_flight`` <= ``slots``: at most
    ``in_flight`` TaskRuns are ready at once, so none waits for a free slot."""

    name: str  # what is read from it: "latency" (ready to start) or "throughput" (TaskRuns/s)
    in_flight: int  # clients, each with one execution at a time
    slots: int  # per worker process


@dataclass(frozen=True)
class Size:
    executions: int  # measured (after the warm-up)
    warmup: int  # executions first, not counted


# Issue 5's ready-to-start target is read from this load: 16 executions at once.
LATENCY = Load("latency", in_flight=16, slots=32)
# Its TaskRuns/s target from this one: 8 times as many executions at once, and the slots to
# match. Each execution's steps run one after another, so the rate is at most the executions
# in flight / the time of one step's round (Little's law): with 64 in flight the machine was
# not saturated (about 1.4 of its 2 cores busy); with 256 it was, and no faster than 128.
THROUGHPUT = Load("throughput", in_flight=128, slots=128)
LOADS = (LATENCY, THROUGHPUT)
# The executions of each load: the throughput load's 4 times as many, so that its measured
# window is about as long as the latency load's if its rate doubles (and longer if not).
FULL = {
    LATENCY.name: Size(executions=400, warmup=32),
    THROUGHPUT.name: Size(executions=1600, warmup=128),
}
QUICK = {
    LATENCY.name: Size(executions=60, warmup=16),
    THROUGHPUT.name: Size(executions=200, warmup=128),
}

ABOUT = (
    f"a flow of {TASKS} `io.kestra.plugin.core.debug.Return` tasks one after another (each "
    "a RunnableTask: run by a worker, never by the executor) on a fresh PostgreSQL database "
    "of the local server for each worker count and load; one `headway server` with the API, "
    "the executor and the scheduler and no worker, and N `headway worker` processes (N = 0: "
    "the all-in-one `headway server`, its own worker handed TaskRuns in memory, as the "
    "reference); a closed loop of clients each starting an execution with `POST "
    "/api/v1/executions/{namespace}/{id}?wait=true` and the next once it is answered, "
    f"under two loads: the latency load, {LATENCY.in_flight} clients and {LATENCY.slots} "
    f"slots per worker, and the throughput load, {THROUGHPUT.in_flight} clients and "
    f"{THROUGHPUT.slots} slots per worker (either way at most as many TaskRuns are ready at "
    "once as there are clients, never more than one worker's slots: none waits for a free "
    "slot); TaskRuns/s = the TaskRuns the workers ran / (the last execution's end - the "
    "first request), after a warm-up not counted; ready to start = a TaskRun's CREATED date "
    "(the executor enqueues it) to its first attempt's RUNNING date (the worker starts it), "
    "over every TaskRun"
)


# --- PostgreSQL ---------------------------------------------------------------------------
def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def admin_url() -> str:
    """The first URL of the local server that answers (HEADWAY_BENCH_POSTGRES_URL first)."""
    import psycopg

    given = os.environ.get(ADMIN_URL_VARIABLE)
    errors = []
    for url in (given,) if given else DEFAULT_ADMIN_URLS:
        try:
            with psycopg.connect(url, connect_timeout=3):
                return url
        except psycopg.OperationalError as exc:
            errors.append(f"{url}: {str(exc).strip()[:200]}")
    raise RuntimeError("PostgreSQL is not reachable: " + "; ".join(errors))


@contextlib.contextmanager
def fresh_database(admin: str) -> Iterator[str]:
    """A new database on the server (its URL), dropped at the end."""
    import psycopg
    from psycopg import sql

    name = f"headway_bench_{os.getpid()}_{secrets.token_hex(4)}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(admin, name)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def _database_sockets(port: int) -> set[str]:
    """The inodes of the machine's established TCP connections to ``port``."""
    out = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if remote_port == port and fields[3] == "01":
                    out.add(f"socket:[{fields[9]}]")
    return out


def connected(pid: int, port: int) -> bool:
    """Whether the process holds an established connection to the database's port."""
    sockets = _database_sockets(port)
    with contextlib.suppress(OSError):
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) in sockets:
                    return True
    return False


# What PostgreSQL counts for the database (pg_stat_database): transactions and rows.
DB_COUNTERS = (
    "xact_commit",
    "xact_rollback",
    "tup_returned",
    "tup_fetched",
    "tup_inserted",
    "tup_updated",
    "tup_deleted",
)
STATS_DELAY = 2.5  # s: a backend reports its counters at most once a second, after a commit


def database_counters(db_url: str) -> dict[str, int]:
    """The database's counters so far (as the backends last reported them)."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True, connect_timeout=5) as conn:
        row = conn.execute(
            f"SELECT {', '.join(DB_COUNTERS)} FROM pg_stat_database "
            "WHERE datname = current_database()"
        ).fetchone()
    assert row is not None
    return dict(zip(DB_COUNTERS, (int(x) for x in row), strict=True))


# --- processes ----------------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU time of one process so far (0 once gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_pids(db_url: str) -> list[int]:
    """The PostgreSQL backends connected to the database (other databases' left out)."""
    import psycopg

    with psycopg.connect(db_url, autocommit=True, connect_timeout=5) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()"
        ).fetchall()
    return [int(r[0]) for r in rows]


def machine_busy_seconds() -> float:
    """CPU time the whole machine spent busy so far (every core: /proc/stat)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (int(x) for x in fields[:8])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU seconds over a window: the server, the workers, the database's PostgreSQL backends
    (a backend that exits within the window takes its time with it), this process (the
    client), and the rest of the machine (whatever else runs on it)."""

    def __init__(self, procs: Processes) -> None:
        self.procs = procs
        self.start: dict[str, float] = {}
        self.backends: dict[int, float] = {}

    def _ours(self) -> dict[str, float]:
        return {
            "server": sum(cpu_seconds(p) for p in self.procs.pids("server")),
            "workers": sum(cpu_seconds(p) for p in self.procs.pids("worker")),
            "client": time.process_time(),
        }

    def begin(self) -> None:
        self.backends = {p: cpu_seconds(p) for p in backend_pids(self.procs.db_url)}
        self.start = {**self._ours(), "machine": machine_busy_seconds()}

    def end(self) -> dict[str, float]:
        now = {**self._ours(), "machine": machine_busy_seconds()}
        spent = {k: now[k] - self.start[k] for k in now}
        spent["postgres"] = sum(
            cpu_seconds(p) - self.backends.get(p, 0.0) for p in backend_pids(self.procs.db_url)
        )
        machine = spent.pop("machine")
        spent["rest"] = max(0.0, machine - sum(spent.values()))
        return {k: round(v, 2) for k, v in spent.items()}


class Processes:
    """The server and workers of one measurement, ``slots`` each: each in a session (process
    group) of its own, on a temporary HEADWAY_HOME; all stopped (SIGTERM, then SIGKILL to the
    group) on exit."""

    def __init__(self, db_url: str, env: dict[str, str], log: Path, tmp: Path, slots: int) -> None:
        self.db_url, self.log, self.tmp, self.slots = db_url, log, tmp, slots
        self.env = {k: v for k, v in env.items() if not k.startswith("HEADWAY_")}
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.url = ""

    def _start(self, name: str, args: tuple[str, ...], extra: dict[str, str]) -> int:
        home = self.tmp / name
        home.mkdir()
        env = {
            **self.env,
            "HEADWAY_HOME": str(home),
            "HEADWAY_DB_URL": self.db_url,
            "HEADWAY_WORKER_SLOTS": str(self.slots),
            **extra,
        }
        cmd = [sys.executable, "-m", "headway", *args]
        with self.log.open("a") as log:
            log.write(f"\n=== {NAME} {name}: {' '.join(cmd[1:])}\n")
            log.flush()
            proc = subprocess.Popen(
                cmd,
                env=env,
                cwd=ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.started.append((name, proc))
        return proc.pid

    def start(self, workers: int, timeout: float = 90) -> None:
        """The server (all in one when ``workers`` is 0) and the workers, until the server
        answers /health and every process is connected to the database."""
        port = free_port()
        self.url = f"http://127.0.0.1:{port}"
        self._start(
            "server", SERVER_ARGS if workers else ALL_IN_ONE_ARGS, {"HEADWAY_PORT": str(port)}
        )
        for i in range(workers):
            self._start(f"worker{i + 1}", WORKER_ARGS, {})
        db_port = urlsplit(self.db_url).port or 5432
        deadline = time.monotonic() + timeout
        healthy = False
        while time.monotonic() < deadline:
            for name, proc in self.started:
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited {proc.returncode} (see the run's .log)")
            if not healthy:
                with contextlib.suppress(httpx.HTTPError):
                    healthy = httpx.get(f"{self.url}/health", timeout=1).status_code == 200
            if healthy and all(connected(p.pid, db_port) for _, p in self.started):
                return
            time.sleep(0.1)
        raise RuntimeError(f"not started after {timeout:.0f} s (see the run's .log)")

    def pids(self, prefix: str) -> list[int]:
        return [p.pid for name, p in self.started if name.startswith(prefix)]

    def stop(self) -> None:
        for _, proc in self.started:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _, proc in self.started:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            # Whatever is left of the group (the process or what it started) is killed.
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=5)


# --- the load -----------------------------------------------------------------------------
async def closed_loop(url: str, clients: int, total: int) -> tuple[float, list[dict[str, Any]]]:
    """``clients`` loops, each starting an execution and waiting for its answer (the ended
    execution) before the next, until ``total`` were started: (wall-clock time of the first
    request, the answered executions)."""
    conns = Connections(f"{url}/api/v1/executions/{NAMESPACE}/{FLOW_ID}?wait=true", Outcome())
    answered: list[dict[str, Any]] = []
    started = 0
    first = time.time()

    async def client() -> None:
        nonlocal started
        while started < total:
            started += 1
            status, body = await conns.post(b"{}")
            if status != 200:
                raise RuntimeError(f"HTTP {status}: {body[:300]!r}")
            answered.append(json.loads(body))

    try:
        async with asyncio.timeout(max(120, total)):
            await asyncio.gather(*(client() for _ in range(clients)))
    finally:
        conns.close()
    return first, answered


def _date(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def figures(first: float, executions: list[dict[str, Any]]) -> dict[str, Any]:
    """TaskRuns/s, the ready-to-start latencies and what ran where, from the ended
    executions (Kestra's JSON, with their taskRunList) and the time of the first request."""
    latencies: list[float] = []
    by_worker: Counter[str] = Counter()
    retried = 0
    states: Counter[str] = Counter()
    ends = []
    durations = []
    for ex in executions:
        states[ex["state"]["current"]] += 1
        ends.append(_date(ex["state"]["endDate"]).timestamp())
        durations.append(
            (_date(ex["state"]["endDate"]) - _date(ex["state"]["startDate"])).total_seconds()
        )
        for tr in ex.get("taskRunList") or []:
            attempts = tr.get("attempts") or []
            if not attempts:
                continue  # not run by a worker
            retried += len(attempts) > 1
            created = tr["state"]["histories"][0]
            running = attempts[0]["state"]["histories"][0]
            assert created["state"] == "CREATED" and running["state"] == "RUNNING", tr
            latencies.append((_date(running["date"]) - _date(created["date"])).total_seconds())
            by_worker[attempts[0].get("workerId", "?")] += 1
    wall = max(ends) - first
    return {
        "executions": len(executions),
        "states": dict(states),
        "taskruns": len(latencies),
        "retried": retried,
        "wall_s": round(wall, 3),
        "taskruns_per_s": round(len(latencies) / wall, 1),
        "ready_to_start": summary_ms(latencies),
        "execution_duration": summary_ms(durations),
        # TaskRuns each worker process ran (its pid), most first
        "per_worker": sorted(by_worker.values(), reverse=True),
    }


def measure_one(
    workers: int, load: Load, size: Size, admin: str, env: dict[str, str], log: Path
) -> dict[str, Any]:
    """One worker count under one load, on a fresh database: its figures."""
    with fresh_database(admin) as db_url, tempfile.TemporaryDirectory(prefix="headway-pgw-") as tmp:
        procs = Processes(db_url, env, log, Path(tmp), load.slots)
        try:
            procs.start(workers)
            answer = httpx.post(
                f"{procs.url}/api/v1/flows",
                content=FLOW,
                headers={"Content-Type": "application/x-yaml"},
                timeout=30,
            )
            answer.raise_for_status()
            asyncio.run(closed_loop(procs.url, load.in_flight, size.warmup))
            time.sleep(STATS_DELAY)
            counters = database_counters(db_url)
            before = load_average()
            meter = CpuMeter(procs)
            meter.begin()
            first, executions = asyncio.run(closed_loop(procs.url, load.in_flight, size.executions))
            spent = meter.end()
            after = load_average()
            time.sleep(STATS_DELAY)
            # (the idle polls of these seconds included: a few transactions each)
            counted = {k: v - counters[k] for k, v in database_counters(db_url).items()}
        finally:
            procs.stop()
    out = figures(first, executions)
    return {
        "workers": workers,
        # "latency" (ready to start is judged from it) or "throughput" (TaskRuns/s)
        "load": load.name,
        "slots": load.slots,
        "in_flight": load.in_flight,
        "tasks_per_execution": TASKS,
        **out,
        # CPU seconds over the window: server, workers, postgres (this database's backends),
        # client (the bench), rest (the rest of the machine: other work on it)
        "cpu_s": spent,
        "cpu_ms_per_taskrun": {
            k: round(v / max(out["taskruns"], 1) * 1000, 3)
            for k, v in spent.items()
            if k in ("server", "workers", "postgres")
        },
        # Cores the rest of the machine kept busy, on average over the window
        "other_cores": round(spent["rest"] / max(out["wall_s"], 1e-9), 2),
        # What PostgreSQL counted per TaskRun: transactions, rows read and written.
        "db_per_taskrun": {k: round(v / max(out["taskruns"], 1), 2) for k, v in counted.items()},
        "load_before": before,
        "load_after": after,
    }


def missing_commands(env: dict[str, str]) -> str | None:
    """Why the distributed mode cannot be measured with this Headway (no ``headway worker``,
    or a server without ``--components``), or None."""
    for args, needs in ((WORKER_ARGS, ""), (SERVER_ARGS[:1], SERVER_ARGS[1])):
        done = subprocess.run(
            [sys.executable, "-m", "headway", *args, "--help"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        if done.returncode or needs not in done.stdout:
            what = f"`headway {' '.join(args)}`" + (f" {needs}" if needs else "")
            return f"this Headway has no {what}"
    return None


def measure(
    quick: bool,
    env: dict[str, str],
    log: Path,
    record: Callable[..., None],
    say: Callable[[str], None],
) -> None:
    """Every worker count of WORKER_COUNTS under each load of LOADS, one record each (its
    figures, or why not)."""
    sizes = QUICK if quick else FULL
    base = {"engine": "headway:default", "mode": "workers", "workload": NAME}
    try:
        admin = admin_url()
    except RuntimeError as exc:
        for workers in WORKER_COUNTS:
            for load in LOADS:
                record(**base, **_named(workers, load), error=str(exc)[:500])
        say(f"  {NAME}: {exc}")
        return
    missing = missing_commands(env) if any(WORKER_COUNTS) else None
    for workers in WORKER_COUNTS:
        for load in LOADS:
            named = {**base, **_named(workers, load), "quick": quick}
            say(
                f"headway {NAME}: {workers} worker process(es), {load.name} load "
                f"({load.in_flight} at a time, {load.slots} slots){' (quick)' if quick else ''} ..."
            )
            if workers and missing:
                record(**named, error=f"not measured: {missing}")
                say(f"  not measured: {missing}")
                continue
            try:
                figures = measure_one(workers, load, sizes[load.name], admin, env, log)
            # Whatever fails (a process, PostgreSQL, an answer) is that measurement's result,
            # and the others still run.
            except Exception as exc:  # noqa: BLE001
                record(**named, error=f"{type(exc).__name__}: {exc}"[:500])
                say(f"  failed: {exc}")
                continue
            record(**base, quick=quick, **figures)
            say(
                f"  {figures['taskruns_per_s']} TaskRuns/s, ready to start "
                f"{json.dumps(figures['ready_to_start'])}, load average {figures['load_before']}"
            )


def _named(workers: int, load: Load) -> dict[str, Any]:
    """What a record without figures says it is of: the worker count and the load."""
    return {"workers": workers, "load": load.name, "in_flight": load.in_flight, "slots": load.slots}
