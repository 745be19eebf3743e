"""A distributed Headway of real processes, for the fault tests (test_distributed*.py).

Servers (``headway server --components ...``) and workers (``headway worker``) run as
subprocesses on one PostgreSQL database, each with its own HEADWAY_HOME and a short lease;
a test kills them with SIGKILL, cuts their network, or restarts the database, then reads the
store directly (:class:`Ledger`) to count what must never happen:

- a *lost* TaskRun: one of an execution that did not end SUCCESS, or one that did not end
  SUCCESS itself, or one the flow should have made and the store does not hold;
- a *doubly completed* TaskRun: one with more than one SUCCESS attempt.

Tasks also append a line to a *runs file* (:func:`recorded_task`) when they start and when
they end, so that real runs are counted too: a TaskRun may run more than once (tasks run at
least once), but the store must hold exactly one completion of it, and that completion
must be an attempt that really ran to its end.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
import psycopg

from postgres_db import require_service
from store.postgres_server import PrivateServer, find_binaries, private_server

T = TypeVar("T")

READY_SECONDS = 30.0
WORKER_READY = re.compile(r"worker (\S+) ready: ")


# --- processes ------------------------------------------------------------------------------
def descendants(pid: int) -> list[int]:
    """Every process below ``pid`` (children, their children...), from /proc."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces and parentheses.
        ppid = int(stat.rpartition(")")[2].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: list[int] = []
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@dataclass
class Proc:
    """A ``headway`` subprocess; its stdout and stderr go to ``log``."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def ready(self) -> None:
        """Wait until the process serves (each kind knows how)."""
        raise NotImplementedError

    def kill(self) -> None:
        """SIGKILL the process and everything it started (its tasks' processes too): what
        a crash of its host or container does. Nothing of it runs afterwards: the tree is
        frozen first (SIGSTOP), so that no process of it escapes by starting meanwhile."""
        if not self.alive():
            return
        frozen = {self.pid}
        os.kill(self.pid, signal.SIGSTOP)
        while True:
            found = set(descendants(self.pid)) - frozen
            if not found:
                break
            for pid in found:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
            frozen |= found
        for pid in frozen:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.popen.wait(timeout=10)

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM, then SIGKILL after ``timeout``."""
        if not self.alive():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()


@dataclass
class Server(Proc):
    url: str = ""
    client: httpx.Client | None = None

    def ready(self) -> None:
        """Wait until it answers /health."""
        deadline = time.monotonic() + READY_SECONDS
        while True:
            if not self.alive():
                raise AssertionError(f"server {self.name} exited:\n{self.output()}")
            with contextlib.suppress(httpx.TransportError):
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"server {self.name} not ready:\n{self.output()}")
            time.sleep(0.1)

    def api(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self.client is None:
            self.client = httpx.Client(base_url=f"{self.url}/api/v1", timeout=30)
        return self.client.request(method, path, **kwargs)

    def create_flow(self, source: str) -> None:
        response = self.api(
            "POST", "/flows", content=source, headers={"Content-Type": "application/x-yaml"}
        )
        assert response.status_code == 200, response.text

    def run(self, namespace: str, flow_id: str) -> str:
        response = self.api("POST", f"/executions/{namespace}/{flow_id}")
        assert response.status_code == 200, response.text
        execution_id: str = response.json()["id"]
        return execution_id


@dataclass
class Worker(Proc):
    id: str = ""

    def ready(self) -> None:
        """Wait until it registered (its log says so); learn its id."""
        deadline = time.monotonic() + READY_SECONDS
        while True:
            found = WORKER_READY.search(self.output())
            if found:
                self.id = found.group(1)
                return
            if not self.alive():
                raise AssertionError(f"worker {self.name} exited:\n{self.output()}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker {self.name} not ready:\n{self.output()}")
            time.sleep(0.05)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class Cluster:
    """Headway processes on one database, all killed at ``close``."""

    def __init__(self, db_url: str, root: Path, *, lease_seconds: float = 3.0) -> None:
        self.db_url = db_url
        self.root = root
        self.lease_seconds = lease_seconds
        self.processes: list[Proc] = []
        root.mkdir(parents=True, exist_ok=True)

    def env(self, name: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEADWAY_")}
        env.update(
            HEADWAY_HOME=str(self.root / name),
            # Shared, as a real cluster's internal storage (S3, a shared volume) is.
            HEADWAY_STORAGE_DIR=str(self.root / "storage"),
            HEADWAY_DB_URL=self.db_url,
            HEADWAY_LEASE_SECONDS=str(self.lease_seconds),
            PYTHONUNBUFFERED="1",
        )
        return env

    def _spawn(self, name: str, command: list[str], env: dict[str, str]) -> tuple[Any, Path]:
        log = self.root / f"{name}.log"
        with log.open("ab") as out:
            popen = subprocess.Popen(
                command,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                # Out of pytest's process group: a Ctrl-C reaches pytest, whose fixtures
                # then stop these.
                start_new_session=True,
            )
        return popen, log

    def server(
        self, name: str, components: str = "api,executor,scheduler", *, wait: bool = True
    ) -> Server:
        """A ``headway server`` running ``components``; returned once it answers /health
        (``wait``)."""
        port = free_port()
        env = self.env(name)
        env.update(HEADWAY_COMPONENTS=components, HEADWAY_PORT=str(port))
        popen, log = self._spawn(name, [sys.executable, "-m", "headway", "server"], env)
        server = Server(name, popen, log, url=f"http://127.0.0.1:{port}")
        self.processes.append(server)
        if wait:
            server.ready()
        return server

    def worker(
        self,
        name: str,
        *,
        slots: int = 4,
        prefix: Sequence[str] = (),
        db_url: str | None = None,
        drain_seconds: float = 0,
        wait: bool = True,
    ) -> Worker:
        """A ``headway worker``, run under ``prefix`` (``ip netns exec NAME``, say), connected
        to ``db_url`` (default: the cluster's); returned once registered (``wait``)."""
        env = self.env(name)
        if db_url is not None:
            env["HEADWAY_DB_URL"] = db_url
        command = [
            *prefix,
            sys.executable,
            "-m",
            "headway",
            "worker",
            "--slots",
            str(slots),
            "--drain-seconds",
            str(drain_seconds),
        ]
        popen, log = self._spawn(name, command, env)
        worker = Worker(name, popen, log)
        self.processes.append(worker)
        if wait:
            worker.ready()
        return worker

    def close(self) -> None:
        for server in self.processes:
            if isinstance(server, Server) and server.client is not None:
                server.client.close()
        for proc in reversed(self.processes):
            with contextlib.suppress(Exception):
                proc.kill()

    def logs(self) -> str:
        """Every process's log, for a failure's message."""
        return "\n".join(
            f"===== {p.name} (pid {p.pid})\n{p.output()[-6000:]}" for p in self.processes
        )


def wait_for(what: str, probe: Callable[[], T | None], timeout: float, every: float = 0.1) -> T:
    """Call ``probe`` until it answers something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = probe()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


# --- flows ------------------------------------------------------------------------------------
def recorded_task(task_id: str, runs: Path, seconds: float, *, extra: str = "") -> str:
    """A shell task (YAML, indented for a flow's ``tasks:``) that appends ``start TASKRUN
    ATTEMPT`` to ``runs``, sleeps, then appends ``end TASKRUN ATTEMPT EXTRA`` (ATTEMPT: the
    attempts before this one, ``taskrun.attemptsCount``)."""
    tag = "{{ taskrun.id }} {{ taskrun.attemptsCount }}"
    return f"""
  - id: {task_id}
    type: io.kestra.plugin.scripts.shell.Commands
    taskRunner:
      type: io.kestra.plugin.core.runner.Process
    commands:
      - echo "start {tag}" >> {runs}
      - sleep {seconds}
      - echo "end {tag} {extra}" >> {runs}
"""


@dataclass(frozen=True)
class RunLine:
    kind: str  # start or end
    task_run_id: str
    attempt: int  # 1 for the first
    extra: str


def read_runs(runs: Path) -> list[RunLine]:
    lines = []
    for line in runs.read_text().splitlines() if runs.exists() else []:
        kind, task_run_id, before, *extra = line.split()
        lines.append(RunLine(kind, task_run_id, int(before) + 1, " ".join(extra)))
    return lines


# --- the store ---------------------------------------------------------------------------------
@dataclass
class AttemptRow:
    state: str
    worker_id: str | None


@dataclass
class TaskRunRow:
    id: str
    execution_id: str
    task_id: str
    state: str
    attempts: list[AttemptRow]
    extra: dict[str, Any]

    @property
    def completions(self) -> int:
        return sum(1 for a in self.attempts if a.state == "SUCCESS")


@dataclass
class ExecutionRow:
    id: str
    flow_id: str
    state: str
    data: dict[str, Any]

    @property
    def trigger_date(self) -> str | None:
        date = ((self.data.get("trigger") or {}).get("variables") or {}).get("date")
        return str(date) if date is not None else None


@dataclass
class Tally:
    """What a test counts at its end (see the module's docstring)."""

    executions: list[ExecutionRow]
    task_runs: list[TaskRunRow]
    lost: list[str] = field(default_factory=list)
    doubly_completed: list[str] = field(default_factory=list)
    # Completions the store holds of an attempt that never ran to its end (runs file).
    unbacked: list[str] = field(default_factory=list)
    # Real runs and ends per TaskRun, from the runs file.
    runs: Counter[str] = field(default_factory=Counter)
    ends: Counter[str] = field(default_factory=Counter)
    left_in_queue: int = 0

    @property
    def attempts(self) -> int:
        return sum(len(tr.attempts) for tr in self.task_runs)

    @property
    def lost_attempts(self) -> int:
        """Attempts recorded FAILED because their worker was lost (reaped leases)."""
        return sum(int(tr.extra.get("lostAttempts", 0)) for tr in self.task_runs)

    def summary(self) -> str:
        return (
            f"{len(self.executions)} executions, {len(self.task_runs)} TaskRuns, "
            f"{self.attempts} attempts ({self.lost_attempts} lost and run again), "
            f"{sum(self.runs.values())} runs recorded; lost TaskRuns: {len(self.lost)}, "
            f"doubly completed: {len(self.doubly_completed)}, unbacked completions: "
            f"{len(self.unbacked)}, queue rows left: {self.left_in_queue}"
        )

    def assert_clean(self) -> None:
        assert not self.lost, f"lost TaskRuns: {self.lost}\n{self.summary()}"
        assert not self.doubly_completed, f"doubly completed: {self.doubly_completed}"
        assert not self.unbacked, f"completions without a run: {self.unbacked}"
        assert self.left_in_queue == 0, self.summary()


class Ledger:
    """Reads a Headway PostgreSQL store directly."""

    def __init__(self, url: str) -> None:
        self.url = url

    def query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        with psycopg.connect(self.url, autocommit=True, connect_timeout=5) as conn:
            return conn.execute(sql, params).fetchall()

    def executions(self, namespace: str) -> list[ExecutionRow]:
        rows = self.query(
            "SELECT id, flow_id, state, data FROM executions WHERE namespace = %s"
            " ORDER BY start_date, id",
            (namespace,),
        )
        return [ExecutionRow(*row) for row in rows]

    def task_runs(self, namespace: str) -> list[TaskRunRow]:
        rows = self.query(
            "SELECT t.id, t.execution_id, t.task_id, t.state, t.data FROM task_runs t"
            " JOIN executions e ON e.id = t.execution_id WHERE e.namespace = %s ORDER BY t.seq",
            (namespace,),
        )
        return [
            TaskRunRow(
                id_,
                execution_id,
                task_id,
                state,
                [
                    AttemptRow(a["state"]["current"], a.get("workerId"))
                    for a in data.get("attempts", [])
                ],
                data.get("extra") or {},
            )
            for id_, execution_id, task_id, state, data in rows
        ]

    def task_run(self, task_run_id: str) -> TaskRunRow:
        found = self.query(
            "SELECT e.namespace FROM task_runs t JOIN executions e ON e.id = t.execution_id"
            " WHERE t.id = %s",
            (task_run_id,),
        )
        return next(tr for tr in self.task_runs(found[0][0]) if tr.id == task_run_id)

    def leases(self) -> dict[str, str]:
        """Leased queue rows: TaskRun id -> worker id."""
        rows = self.query("SELECT task_run_id, worker_id FROM queue WHERE worker_id IS NOT NULL")
        return {trid: worker for trid, worker in rows}

    def scheduler_holder(self) -> str | None:
        rows = self.query("SELECT holder FROM leases WHERE name = 'scheduler' AND until > now()")
        return str(rows[0][0]) if rows else None

    def terminal(self, namespace: str, count: int | None = None) -> list[ExecutionRow] | None:
        """The executions of the namespace if every one is terminal (and there are
        ``count`` of them), else None."""
        executions = self.executions(namespace)
        if count is not None and len(executions) < count:
            return None
        done = all(e.state in TERMINAL for e in executions)
        return executions if executions and done else None

    def tally(
        self,
        namespace: str,
        tasks: Sequence[str],
        runs: Path | None = None,
        only: Callable[[ExecutionRow], bool] | None = None,
    ) -> Tally:
        """Count lost and doubly completed TaskRuns of the namespace's executions (those
        ``only`` keeps), whose flows each run ``tasks`` once, and check the runs file."""
        executions = [e for e in self.executions(namespace) if only is None or only(e)]
        kept = {e.id for e in executions}
        task_runs = [tr for tr in self.task_runs(namespace) if tr.execution_id in kept]
        tally = Tally(executions, task_runs)
        by_execution: dict[str, list[TaskRunRow]] = {}
        for tr in task_runs:
            by_execution.setdefault(tr.execution_id, []).append(tr)
        for ex in executions:
            mine = by_execution.get(ex.id, [])
            missing = sorted(set(tasks) - {tr.task_id for tr in mine})
            tally.lost += [f"{ex.id}/{task} (never created)" for task in missing]
            for tr in mine:
                if ex.state != "SUCCESS" or tr.state != "SUCCESS" or tr.completions == 0:
                    tally.lost.append(f"{ex.id}/{tr.task_id} {tr.id}: {tr.state} in {ex.state}")
                if tr.completions > 1:
                    tally.doubly_completed.append(f"{tr.id}: {tr.completions} SUCCESS attempts")
        if runs is not None:
            ids = {tr.id for tr in task_runs}
            lines = [line for line in read_runs(runs) if line.task_run_id in ids]
            tally.runs = Counter(line.task_run_id for line in lines if line.kind == "start")
            tally.ends = Counter(line.task_run_id for line in lines if line.kind == "end")
            ended = {(line.task_run_id, line.attempt) for line in lines if line.kind == "end"}
            for tr in task_runs:
                for number, attempt in enumerate(tr.attempts, 1):
                    if attempt.state == "SUCCESS" and (tr.id, number) not in ended:
                        tally.unbacked.append(f"{tr.id} attempt {number}")
        rows = self.query(
            "SELECT execution_id FROM queue WHERE execution_id = ANY(%s)", (sorted(kept),)
        )
        tally.left_in_queue = len(rows)
        return tally


TERMINAL = frozenset({"SUCCESS", "WARNING", "FAILED", "KILLED", "CANCELLED", "SKIPPED"})


# --- a private PostgreSQL server ----------------------------------------------------------
@contextlib.contextmanager
def private_postgres(
    listen: Sequence[str] = (), clients: Sequence[str] = ()
) -> Iterator[PrivateServer]:
    """A PostgreSQL server of the test's own (tests/store/postgres_server.py) that the test
    may stop and restart; it also listens on the addresses ``listen`` and lets in the
    clients of the addresses ``clients`` (trust, as on 127.0.0.1)."""
    bin_dir = find_binaries()
    if bin_dir is None:
        require_service("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
        raise AssertionError("not reached")
    with private_server(bin_dir) as server:
        if listen or clients:
            with (server.data_dir / "pg_hba.conf").open("a") as hba:
                for address in clients:
                    hba.write(f"host all all {address}/32 trust\n")
            server.stop()
            start_listening(server, ["127.0.0.1", *listen])
        yield server


def start_listening(server: PrivateServer, addresses: Sequence[str]) -> None:
    """Start the server listening on ``addresses`` (a later ``restart`` keeps them)."""
    options = (
        f"-p {server.port} -c listen_addresses={','.join(addresses)} -c fsync=off"
        f" -c unix_socket_directories={server.data_dir}"
    )
    server._pg_ctl("-o", options, "-l", str(server.data_dir / "server.log"), "start")


def url_at(server: PrivateServer, host: str) -> str:
    return f"postgresql://postgres@{host}:{server.port}/postgres"
