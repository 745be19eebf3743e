"""Fault tests of the distributed mode (issue 5): real ``headway server`` and ``headway
worker`` processes on real PostgreSQL, with a 3-second lease, killed with SIGKILL, cut off
the network, or left without their database for a while.

Every test ends by counting, from the store (tests/e2e/cluster.py, :class:`Ledger`), the
TaskRuns that were lost (of an execution that did not end SUCCESS, or not SUCCESS
themselves) and those completed twice (more than one SUCCESS attempt), and asserts both
are zero. Each task also writes a line to a runs file when it starts and when it ends: a
TaskRun may run more than once (at least once), but its one completion in the store must be
an attempt that really ran to its end. Each test prints a ``FAULT-TALLY`` line (``-s``).

The database is a new one on the test PostgreSQL server (HEADWAY_TEST_POSTGRES_URL), or a
private server (tests/store/postgres_server.py) where a test restarts it or needs it to
listen on other addresses. Skipped without PostgreSQL (or without network namespaces for
the network test), unless HEADWAY_REQUIRE_SERVICES=1.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from postgres_db import DEFAULT_ADMIN_URL, require_service, with_database
from store.postgres_server import PrivateServer

from .cluster import (
    TERMINAL,
    Cluster,
    ExecutionRow,
    Ledger,
    Server,
    Tally,
    private_postgres,
    read_runs,
    recorded_task,
    url_at,
    wait_for,
)
from .netns import Namespace, namespaces, namespaces_permitted

pytestmark = pytest.mark.slow

LEASE = 3.0  # HEADWAY_LEASE_SECONDS of every process
# The scheduler's lease (headway.scheduler.service: Scheduler(lease=15 s)), renewed at
# every tick (1 s): another scheduler leads at the latest this long after the leader died.
SCHEDULER_LEASE = 15.0


# --- fixtures and helpers ---------------------------------------------------------------------
@pytest.fixture
def database() -> Iterator[str]:
    """A new database on the test PostgreSQL server, dropped at the end."""
    admin_url = os.environ.get("HEADWAY_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        require_service(f"PostgreSQL is not reachable ({exc})".strip())
        raise  # not reached
    name = f"headway_fault_{os.getpid()}_{secrets.token_hex(4)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield with_database(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class Clusters:
    """Makes clusters (and private PostgreSQL servers); at the end of the test every process
    of them is killed, then the servers are stopped."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.made: list[Cluster] = []
        self.servers = contextlib.ExitStack()

    def postgres(self, listen: Sequence[str] = (), clients: Sequence[str] = ()) -> PrivateServer:
        """A private PostgreSQL server (see cluster.private_postgres)."""
        return self.servers.enter_context(private_postgres(listen, clients))

    def __call__(self, db_url: str) -> Cluster:
        cluster = Cluster(db_url, self.root / f"cluster{len(self.made)}", lease_seconds=LEASE)
        self.made.append(cluster)
        return cluster

    def close(self) -> None:
        try:
            for cluster in self.made:
                cluster.close()
                print(cluster.logs())  # pytest shows it when the test failed
        finally:
            self.servers.close()


@pytest.fixture
def clusters(tmp_path: Path) -> Iterator[Clusters]:
    made = Clusters(tmp_path)
    try:
        yield made
    finally:
        made.close()


def report(name: str, tally: Tally, **facts: object) -> None:
    """One line per test run, for the record (pytest -s shows it)."""
    shown = " ".join(f"{k}={v}" for k, v in facts.items())
    print(
        f"\nFAULT-TALLY {name}: lost={len(tally.lost)} "
        f"doubly_completed={len(tally.doubly_completed)} unbacked={len(tally.unbacked)} "
        f"executions={len(tally.executions)} task_runs={len(tally.task_runs)} "
        f"runs={sum(tally.runs.values())} lost_attempts={tally.lost_attempts} {shown}"
    )


def flow(flow_id: str, namespace: str, tasks: str, triggers: str = "") -> str:
    return f"id: {flow_id}\nnamespace: {namespace}\ntasks:{tasks}{triggers}"


def pid_of(member_id: str) -> int:
    """The pid in a worker's, executor's or scheduler's id (``host:pid:random``)."""
    return int(member_id.split(":")[1])


def started(runs: Path) -> set[str]:
    """The TaskRuns whose task started (the runs file)."""
    return {line.task_run_id for line in read_runs(runs) if line.kind == "start"}


# --- 1. a worker killed in the middle of a task ----------------------------------------------
def test_a_worker_killed_mid_task_its_task_runs_again_on_another(
    database: str, clusters: Clusters, tmp_path: Path
) -> None:
    """kill -9 of the worker running a 3-second shell task (and of the task): its lease
    expires, the attempt is recorded FAILED (lost), the TaskRun runs again on the other
    worker, the execution ends SUCCESS."""
    runs = tmp_path / "runs"
    namespace = "fault.worker"
    cluster = clusters(database)
    ledger = Ledger(database)
    server = cluster.server("server", wait=False)
    workers = [cluster.worker(name, slots=2, wait=False) for name in ("worker-a", "worker-b")]
    for process in (server, *workers):
        process.ready()
    tasks = ("first", "work", "last")
    server.create_flow(
        flow(
            "long",
            namespace,
            recorded_task("first", runs, 0)
            + recorded_task("work", runs, 3)
            + recorded_task("last", runs, 0),
        )
    )
    ids = [server.run(namespace, "long") for _ in range(3)]

    def work_running() -> tuple[str, str] | None:
        """A `work` TaskRun whose task started, and the worker that leases it."""
        leases = ledger.leases()
        for tr in ledger.task_runs(namespace):
            if tr.task_id == "work" and tr.id in leases and tr.id in started(runs):
                return tr.id, leases[tr.id]
        return None

    wait_for("a `work` task to start", work_running, 30)
    time.sleep(1.0)  # in the middle of its 3 seconds
    middle, holder = wait_for("a `work` task to be running", work_running, 5)
    victim = next(w for w in workers if w.id == holder)
    survivor = next(w for w in workers if w.id != holder)
    victim.kill()
    killed_at = time.monotonic()
    # What it held when it died (nobody takes a lease back before it expires).
    held = [trid for trid, worker in ledger.leases().items() if worker == victim.id]
    assert middle in held

    wait_for("every execution to end", lambda: ledger.terminal(namespace, len(ids)), 45)
    recovered_in = time.monotonic() - killed_at
    tally = ledger.tally(namespace, tasks, runs)
    report("worker_killed", tally, recovered_in=f"{recovered_in:.1f}s", held=len(held))
    tally.assert_clean()
    assert [e.state for e in tally.executions] == ["SUCCESS"] * 3
    for trid in held:
        tr = ledger.task_run(trid)
        # The lost attempt is recorded FAILED, on the killed worker; the next one SUCCESS on
        # the other (the last attempt: a heartbeat late on a busy machine may cost one more).
        assert tr.attempts[0].state == "FAILED" and tr.attempts[0].worker_id == victim.id, tr
        assert tr.attempts[-1].state == "SUCCESS" and tr.attempts[-1].worker_id == survivor.id
        assert tr.extra.get("lostAttempts", 0) >= 1
    # Killed with its worker a second into its 3, the task's first run never reached its end.
    assert tally.runs[middle] >= 2 and tally.ends[middle] == 1, (tally.runs, tally.ends)
    lost_logs = ledger.query(
        "SELECT count(*) FROM logs WHERE message LIKE %s",
        (f"attempt 1 lost: worker {victim.id} stopped renewing its lease%",),
    )
    assert lost_logs[0][0] == len(held)
    assert server.alive() and survivor.alive()


# --- 2. the scheduler's leader killed --------------------------------------------------------
SCHEDULE = """
triggers:
  - id: every-second
    type: io.kestra.plugin.core.trigger.Schedule
    cron: "*/1 * * * * *"
    recoverMissedSchedules: ALL
    allowConcurrent: true
"""


def test_the_scheduler_leader_killed_another_server_takes_over_without_gaps_or_doubles(
    database: str, clusters: Clusters, tmp_path: Path
) -> None:
    """Two servers (api, executor, scheduler) and two workers; a schedule every second.
    kill -9 of the server holding the scheduler lease: the other takes the lease within
    SCHEDULER_LEASE (15 s) plus a tick, and fires every date of the gap
    (recoverMissedSchedules: ALL); no date fires twice, none is skipped (the dates are
    contiguous), and the executions the dead server's executor owned end SUCCESS too."""
    runs = tmp_path / "runs"
    namespace = "fault.scheduler"
    cluster = clusters(database)
    ledger = Ledger(database)
    first = cluster.server("server-a")
    wait_for("server-a to lead the scheduler", ledger.scheduler_holder, 10)
    others = [
        cluster.server("server-b", wait=False),
        cluster.worker("worker-a", slots=4, wait=False),
        cluster.worker("worker-b", slots=4, wait=False),
    ]
    for process in others:
        process.ready()
    second = others[0]
    assert isinstance(second, Server)
    servers = {first.pid: first, second.pid: second}
    tick = recorded_task("tick", runs, 0, extra="{{ trigger.date }}")
    first.create_flow(flow("ticking", namespace, tick, SCHEDULE))

    wait_for("3 scheduled executions", lambda: len(ledger.executions(namespace)) >= 3, 20)
    holder = ledger.scheduler_holder()
    assert holder is not None
    leader = servers[pid_of(holder)]
    standby = next(s for s in servers.values() if s is not leader)
    killed_at = time.monotonic()
    leader.kill()
    died = datetime.now(UTC)

    def taken_over() -> bool:
        holder = ledger.scheduler_holder()
        return holder is not None and pid_of(holder) == standby.pid

    wait_for("the standby to lead", taken_over, SCHEDULER_LEASE + 15, every=0.05)
    takeover = time.monotonic() - killed_at
    # The dead leader's lease ran out (it renewed it up to a tick before it died), then the
    # standby's next tick took it.
    assert takeover <= SCHEDULER_LEASE + 2.5, f"took {takeover:.1f}s"

    # Some dates fired on time after the gap, then every date up to the last one fired.
    led_at = datetime.now(UTC)
    wait_for(
        "3 dates fired after the takeover",
        lambda: sum(1 for e in ledger.executions(namespace) if _date(e) > led_at) >= 3,
        15,
    )
    cutoff = max(_date(e) for e in ledger.executions(namespace))

    def in_window(execution: ExecutionRow) -> bool:
        return _date(execution) <= cutoff

    def window_ended() -> bool:
        return all(e.state in TERMINAL for e in ledger.executions(namespace) if in_window(e))

    wait_for("the executions up to the last date to end", window_ended, 45)
    dates = [_date(e) for e in ledger.executions(namespace)]
    assert len(dates) == len(set(dates)), f"dates fired twice: {sorted(dates)}"
    window = sorted(d for d in dates if d <= cutoff)
    contiguous = [window[0] + timedelta(seconds=s) for s in range(len(window))]
    assert window == contiguous, f"dates skipped: {sorted(set(contiguous) - set(window))}"
    # The dates of the gap (from the death to the takeover) were fired, late.
    gap = [d for d in window if died < d <= led_at - timedelta(seconds=1)]
    assert len(gap) >= int(takeover) - 2, f"the gap was not backfilled: {gap}"

    tally = ledger.tally(namespace, ["tick"], runs, only=in_window)
    report(
        "scheduler_killed",
        tally,
        takeover=f"{takeover:.1f}s",
        window=len(window),
        gap=len(gap),
    )
    tally.assert_clean()
    assert len(tally.executions) == len(window)
    # No date ran as two TaskRuns (a TaskRun may run twice: at least once).
    runs_of_date: dict[str, set[str]] = {}
    for line in read_runs(runs):
        if line.kind == "end":
            runs_of_date.setdefault(line.extra, set()).add(line.task_run_id)
    assert all(len(trs) == 1 for trs in runs_of_date.values()), runs_of_date
    assert standby.alive()


def _date(execution: ExecutionRow) -> datetime:
    date = execution.trigger_date
    assert date is not None, execution
    return datetime.fromisoformat(date.replace("Z", "+00:00"))


# --- 3. PostgreSQL restarted under load ------------------------------------------------------
@pytest.mark.parametrize("down_seconds", [0.0, 2 * LEASE], ids=["restart", "down-6s"])
def test_postgres_restarted_under_100_running_executions(
    clusters: Clusters, tmp_path: Path, down_seconds: float
) -> None:
    """A server and two workers (10 slots each) run 100 executions of a flow of two shell
    tasks; in the middle, PostgreSQL (a private server) stops and starts again, at once or
    after twice the lease (every lease has expired by then: the TaskRuns run again). All
    100 end SUCCESS; no TaskRun is lost or completed twice."""
    runs = tmp_path / "runs"
    namespace = "fault.postgres"
    pg = clusters.postgres()
    cluster = clusters(pg.url)
    ledger = Ledger(pg.url)
    processes = [
        cluster.server("server", wait=False),
        cluster.worker("worker-a", slots=10, wait=False),
        cluster.worker("worker-b", slots=10, wait=False),
    ]
    for process in processes:
        process.ready()
    server = processes[0]
    assert isinstance(server, Server)
    tasks = ("work", "last")
    server.create_flow(
        flow("busy", namespace, recorded_task("work", runs, 1) + recorded_task("last", runs, 0))
    )
    ids = [server.run(namespace, "busy") for _ in range(100)]

    def in_the_middle() -> bool:
        executions = ledger.executions(namespace)
        ended = sum(1 for e in executions if e.state == "SUCCESS")
        return ended >= 10 and len(ledger.leases()) >= 5

    wait_for("executions in the middle of their run", in_the_middle, 30)
    ended_before = sum(1 for e in ledger.executions(namespace) if e.state in TERMINAL)
    pg.stop()
    time.sleep(down_seconds)
    pg.start()
    back_at = time.monotonic()
    wait_for("every execution to end", lambda: ledger.terminal(namespace, len(ids)), 75, 0.5)
    ended_in = time.monotonic() - back_at
    tally = ledger.tally(namespace, tasks, runs)
    report(
        "postgres_restarted",
        tally,
        down=f"{down_seconds}s",
        ended_before=ended_before,
        all_ended_after_restart=f"{ended_in:.1f}s",
    )
    tally.assert_clean()
    assert len(tally.executions) == 100
    assert {e.state for e in tally.executions} == {"SUCCESS"}
    assert all(p.alive() for p in cluster.processes)


# --- 4. a worker with every slot busy, killed ------------------------------------------------
def test_a_worker_killed_with_every_slot_leased_all_its_task_runs_run_elsewhere(
    database: str, clusters: Clusters, tmp_path: Path
) -> None:
    """A worker with 4 slots runs 4 eight-second tasks; a second worker joins, and the next
    2 executions go to it (the first has no slot free); then the first is killed while it
    holds its 4 leases: all 4 TaskRuns run again on the second (attempt 1 recorded FAILED
    on the dead worker, then SUCCESS), and all 6 executions end SUCCESS."""
    runs = tmp_path / "runs"
    namespace = "fault.slots"
    cluster = clusters(database)
    ledger = Ledger(database)
    server = cluster.server("server", wait=False)
    full = cluster.worker("worker-full", slots=4, wait=False)
    server.ready()
    full.ready()
    server.create_flow(flow("long", namespace, recorded_task("work", runs, 8)))
    ids = [server.run(namespace, "long") for _ in range(4)]
    other = cluster.worker("worker-other", slots=6, wait=False)

    def four_running() -> list[str] | None:
        held = [trid for trid, w in ledger.leases().items() if w == full.id]
        return held if len(held) == 4 and set(held) <= started(runs) else None

    held = wait_for("the 4 slots to be busy", four_running, 30)
    other.ready()
    ids += [server.run(namespace, "long") for _ in range(2)]
    wait_for(
        "the other worker to take the 2 new TaskRuns",
        lambda: sum(1 for w in ledger.leases().values() if w == other.id) == 2,
        15,
    )
    assert sorted(t for t, w in ledger.leases().items() if w == full.id) == sorted(held)
    full.kill()
    wait_for("every execution to end", lambda: ledger.terminal(namespace, len(ids)), 45)
    tally = ledger.tally(namespace, ["work"], runs)
    report("slots_full_killed", tally, held=len(held))
    tally.assert_clean()
    assert [e.state for e in tally.executions] == ["SUCCESS"] * 6
    for trid in held:
        tr = ledger.task_run(trid)
        assert tr.attempts[0].state == "FAILED" and tr.attempts[0].worker_id == full.id, tr
        assert tr.attempts[-1].state == "SUCCESS" and tr.attempts[-1].worker_id == other.id
        assert tally.runs[trid] >= 2 and tally.ends[trid] == 1, (tally.runs, tally.ends)
    assert tally.lost_attempts >= 4


# --- 5. a worker cut off the network ---------------------------------------------------------
@pytest.fixture
def two_namespaces() -> Iterator[list[Namespace]]:
    why = namespaces_permitted()
    if why is not None:
        require_service(f"network namespaces: {why}")
    with namespaces(2) as made:
        yield made


def test_a_worker_cut_off_the_network_is_fenced_when_it_comes_back(
    two_namespaces: list[Namespace], clusters: Clusters, tmp_path: Path
) -> None:
    """Two workers, each in a network namespace of its own, reach PostgreSQL over their
    veth link (10.77.N.2 -> 10.77.N.1). The one running a 4-second task is cut off (its
    link down) for longer than the lease: the TaskRun runs again on the other worker and
    the execution ends SUCCESS. The cut-off task runs to its end meanwhile; when the link
    comes back, that worker's result is refused (its lease ended: fenced) and the TaskRun
    stays completed once."""
    runs = tmp_path / "runs"
    namespace = "fault.network"
    pg = clusters.postgres(
        listen=[ns.host_address for ns in two_namespaces],
        clients=[ns.address for ns in two_namespaces],
    )
    cluster = clusters(pg.url)
    ledger = Ledger(pg.url)
    server = cluster.server("server", wait=False)
    workers = {
        ns.name: cluster.worker(
            f"worker-{ns.name}",
            slots=2,
            prefix=ns.prefix,
            db_url=url_at(pg, ns.host_address),
            wait=False,
        )
        for ns in two_namespaces
    }
    server.ready()
    for worker in workers.values():
        worker.ready()
    # Each worker reaches the database from its own address.
    peers = ledger.query(
        "SELECT DISTINCT host(client_addr) FROM pg_stat_activity WHERE client_addr IS NOT NULL"
    )
    assert {ns.address for ns in two_namespaces} <= {address for (address,) in peers}
    server.create_flow(flow("long", namespace, recorded_task("work", runs, 4)))
    execution_id = server.run(namespace, "long")

    def running() -> tuple[str, str] | None:
        for trid, worker in ledger.leases().items():
            if trid in started(runs):
                return trid, worker
        return None

    trid, holder = wait_for("the task to start", running, 30)
    cut_ns = next(ns for ns in two_namespaces if workers[ns.name].id == holder)
    cut = workers[cut_ns.name]
    other = next(w for w in workers.values() if w is not cut)
    time.sleep(1.0)
    cut_ns.cut()
    cut_at = time.monotonic()
    try:
        wait_for("the execution to end", lambda: ledger.terminal(namespace, 1), 40)
        # The cut-off task ran to its end too (4 s after it started).
        wait_for(
            "the cut-off run to end",
            lambda: any(
                line.kind == "end" and line.task_run_id == trid and line.attempt == 1
                for line in read_runs(runs)
            ),
            10,
        )
        assert time.monotonic() - cut_at > LEASE
    finally:
        cut_ns.join()
    joined_at = time.monotonic()
    dropped = wait_for(
        "the cut-off worker to drop its result",
        lambda: re.search(rf"result (of {trid} )?dropped.*", cut.output()),
        45,
        0.2,
    )
    fenced_in = time.monotonic() - joined_at
    # The worker is back: its heartbeat registers it again.
    wait_for("the cut-off worker to be alive", lambda: _alive(server, cut.id), 30, 0.5)

    tally = ledger.tally(namespace, ["work"], runs)
    report(
        "network_cut",
        tally,
        cut_for=f"{joined_at - cut_at:.1f}s",
        fenced_after_join=f"{fenced_in:.1f}s",
        dropped=repr(dropped.group(0)[:100]),
    )
    tally.assert_clean()
    assert [(e.id, e.state) for e in tally.executions] == [(execution_id, "SUCCESS")]
    tr = ledger.task_run(trid)
    assert tr.attempts[0].state == "FAILED" and tr.attempts[0].worker_id == cut.id, tr
    assert tr.attempts[-1].state == "SUCCESS" and tr.attempts[-1].worker_id == other.id
    # Both runs reached their end; the store holds one completion (the second's).
    assert tally.ends[trid] == len(tr.attempts) == 2, (tally.ends, tr)
    assert cut.alive() and other.alive()
    # Still so a moment later: the late result changed nothing.
    time.sleep(1)
    assert ledger.task_run(trid).attempts == tr.attempts
    assert ledger.tally(namespace, ["work"], runs).doubly_completed == []


def _alive(server: Server, worker_id: str) -> bool:
    workers = server.api("GET", "/workers").json()["results"]
    return any(w["id"] == worker_id and w["alive"] for w in workers)
