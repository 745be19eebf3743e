"""The PostgreSQL store: the shared contract on a database of the test session, and what only
PostgreSQL has (migrations under an advisory lock, the schema they produce, claims from many
connections, LISTEN/NOTIFY, reconnection after its backends are killed, errors).

Skipped when PostgreSQL cannot be reached, unless HEADWAY_REQUIRE_SERVICES=1 (see
tests/postgres_db.py). A real restart of the database: test_postgres_restart.py; kill -9 of
the CLI: test_postgres_recovery.py."""

from __future__ import annotations

import asyncio
import random
import secrets
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import psycopg
import pytest
from psycopg import sql

from headway.errors import StoreError
from headway.state import State
from headway.store import open_store
from headway.store.base import Batch, NewEvent, Ownership, Store, Timer
from headway.store.notifications import CANCEL, INBOX, QUEUE, Notice, WorkNotifications
from headway.store.postgres import PostgresStore, logs
from headway.store.postgres.migrations import MIGRATION_LOCK, available
from postgres_db import PostgresDatabase, with_database

from . import records
from .contract import StoreContract
from .records import add, at


async def opened(url: str, **kwargs: int) -> PostgresStore:
    store = PostgresStore(url, **kwargs)
    await store.open()
    return store


class TestPostgresStore(StoreContract):
    @pytest.fixture
    async def store(self, postgres_database: PostgresDatabase) -> AsyncIterator[Store]:
        postgres_database.truncate()
        store = await opened(postgres_database.url)
        yield store
        await store.close()

    @pytest.fixture
    async def other_store(
        self, postgres_database: PostgresDatabase, store: Store
    ) -> AsyncIterator[Store]:
        other = await opened(postgres_database.url)
        yield other
        await other.close()


@pytest.fixture
async def pg(postgres_database: PostgresDatabase) -> AsyncIterator[PostgresStore]:
    postgres_database.truncate()
    store = await opened(postgres_database.url)
    yield store
    await store.close()


@pytest.fixture
def fresh_database(postgres_database: PostgresDatabase) -> Iterator[PostgresDatabase]:
    """A database of its own, empty (no schema yet), dropped after the test."""
    name = f"{postgres_database.name}_{secrets.token_hex(3)}"
    with psycopg.connect(postgres_database.admin_url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield PostgresDatabase(postgres_database.admin_url, name)
    finally:
        with psycopg.connect(postgres_database.admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


# --- migrations and schema -------------------------------------------------------------------
EXPECTED_TABLES = {
    "schema_migrations",
    "flows",
    "executions",
    "task_runs",
    "queue",
    "events",
    "timers",
    "logs",
    "kv",
    "triggers",
    "ended_executions",
    "leases",
    "api_tokens",
    "audit_log",
    "execution_owners",
    "workers",
}
# Tables of the processes sharing the store (executors' ownerships, workers), of no tenant.
PROCESS_TABLES = {"execution_owners", "workers"}
# Index name -> (table, definition after "USING"); primary keys and unique constraints aside.
EXPECTED_INDEXES = {
    "executions_by_flow": ("executions", "btree (tenant, namespace, flow_id, start_date)"),
    "executions_by_state": ("executions", "btree (state, start_date)"),
    "executions_by_tenant_state": (
        "executions",
        "btree (tenant, state, start_date, id)",
    ),
    "executions_by_start_date": ("executions", "btree (tenant, start_date)"),
    "executions_by_labels": ("executions", "gin (labels jsonb_path_ops)"),
    "task_runs_by_execution": ("task_runs", "btree (execution_id, seq)"),
    "queue_free_by_ready_at": (
        "queue",
        "btree (COALESCE(worker_group, ''::text), ready_at, task_run_id) WHERE (worker_id IS NULL)",
    ),
    "queue_leased_by_lease_until": (
        "queue",
        "btree (lease_until) WHERE (worker_id IS NOT NULL)",
    ),
    "queue_by_execution": ("queue", "btree (execution_id)"),
    "events_by_execution": ("events", "btree (execution_id)"),
    "timers_by_due_at": ("timers", "btree (due_at)"),
    "timers_by_execution": ("timers", "btree (execution_id)"),
    "logs_by_execution": ("logs", "btree (execution_id, id)"),
    "logs_by_time": ("logs", 'btree (tenant, "timestamp")'),
    "audit_log_by_time": ("audit_log", "btree (tenant, at)"),
    "execution_owners_by_owner": ("execution_owners", "btree (owner)"),
}


async def test_migrations_produce_the_expected_tables_and_indexes(
    fresh_database: PostgresDatabase,
) -> None:
    await (await opened(fresh_database.url)).close()
    with fresh_database.connect() as conn:
        tables = {
            name
            for (name,) in conn.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
            )
        }
        indexes = {
            name: (table, definition.partition(" USING ")[2])
            for name, table, definition in conn.execute(
                "SELECT i.indexname, i.tablename, i.indexdef FROM pg_indexes AS i"
                " WHERE i.schemaname = 'public' AND NOT EXISTS ("
                "   SELECT 1 FROM pg_constraint AS c WHERE c.conname = i.indexname)"
            )
        }
        columns = {
            (table, column): (data_type, nullable)
            for table, column, data_type, nullable in conn.execute(
                "SELECT table_name, column_name, data_type, is_nullable"
                " FROM information_schema.columns WHERE table_schema = 'public'"
            )
        }
    assert tables == EXPECTED_TABLES
    assert indexes == EXPECTED_INDEXES
    tenant_tables = {table for table, column in columns if column == "tenant"}
    assert tenant_tables == EXPECTED_TABLES - {"schema_migrations"} - PROCESS_TABLES
    timestamps = {key for key, (data_type, _) in columns.items() if "timestamp" in data_type}
    assert all(columns[key][0] == "timestamp with time zone" for key in timestamps)
    assert ("queue", "ready_at") in timestamps and ("logs", "timestamp") in timestamps
    assert columns[("executions", "labels")][0] == "jsonb"
    assert columns[("executions", "data")][0] == "json"


async def test_migrations_are_recorded_and_applied_once(fresh_database: PostgresDatabase) -> None:
    await (await opened(fresh_database.url)).close()
    with fresh_database.connect() as conn:
        first = conn.execute("SELECT version, name, applied FROM schema_migrations").fetchall()
    store = await opened(fresh_database.url)
    await store.open()  # opening an open store does nothing
    await store.close()
    with fresh_database.connect() as conn:
        again = conn.execute("SELECT version, name, applied FROM schema_migrations").fetchall()
    assert [(v, n) for v, n, _ in first] == [(m.version, m.name) for m in available()]
    assert available()[0].version == 1 and available()[0].name == "initial"
    assert again == first


async def test_stores_opening_a_new_database_at_once_migrate_it_once(
    fresh_database: PostgresDatabase,
) -> None:
    stores = await asyncio.gather(*(opened(fresh_database.url) for _ in range(5)))
    for store in stores:
        await store.close()
    with fresh_database.connect() as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_migrations")]
    assert versions == [m.version for m in available()]


async def test_migrations_wait_for_the_advisory_lock(fresh_database: PostgresDatabase) -> None:
    with fresh_database.connect() as holder:
        holder.execute("SELECT pg_advisory_lock(%s)", (MIGRATION_LOCK,))
        opening = asyncio.create_task(opened(fresh_database.url))
        await asyncio.sleep(0.5)
        assert not opening.done()  # waits for the lock
        holder.execute("SELECT pg_advisory_unlock(%s)", (MIGRATION_LOCK,))
        store = await asyncio.wait_for(opening, 10)
    await store.close()


async def test_a_database_newer_than_the_code_is_refused(fresh_database: PostgresDatabase) -> None:
    await (await opened(fresh_database.url)).close()
    with fresh_database.connect() as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', now())")
    with pytest.raises(StoreError, match="newer"):
        await opened(fresh_database.url)


# --- claims ----------------------------------------------------------------------------------
async def test_concurrent_claims_from_many_connections_hand_each_task_run_out_once(
    postgres_database: PostgresDatabase, pg: PostgresStore
) -> None:
    """Four stores (as four processes would), 32 workers claiming batches in a loop until
    the queue is empty: every TaskRun is handed out, and to one worker only."""
    total = 2000
    ids = [f"tr{i:05d}" for i in range(total)]
    await pg.commit(
        Batch(enqueue=[records.queued("e", tr, at(n % 50)) for n, tr in enumerate(ids)])
    )
    stores = [await opened(postgres_database.url, max_size=4) for _ in range(4)]
    handed: Counter[str] = Counter()
    by_worker: Counter[str] = Counter()

    async def work(store: PostgresStore, worker: str) -> None:
        while claimed := await store.claim(worker, 7, at(100), at(160)):
            for q in claimed:
                handed[q.task_run_id] += 1
                by_worker[worker] += 1

    try:
        await asyncio.gather(
            *(work(stores[n % 4], f"w{n}") for n in range(32)),
        )
    finally:
        for store in stores:
            await store.close()
    assert sum(handed.values()) == total
    assert [tr for tr, count in handed.items() if count > 1] == []
    assert set(handed) == set(ids)
    assert len(by_worker) > 4  # the work was really shared
    assert await pg.claim("late", 10, at(100), at(160)) == []


async def test_claims_go_in_ready_order_within_the_workers_group(pg: PostgresStore) -> None:
    await pg.commit(
        Batch(
            enqueue=[
                records.queued("e", "gpu-late", at(5), worker_group="gpu"),
                records.queued("e", "cpu", at(0)),
                records.queued("e", "gpu-early", at(1), worker_group="gpu"),
            ]
        )
    )
    gpu = await pg.claim("g", 1, at(10), at(20), "gpu")
    assert [q.task_run_id for q in gpu] == ["gpu-early"]
    assert [q.task_run_id for q in await pg.claim("g", 5, at(10), at(20), "gpu")] == ["gpu-late"]
    assert [q.task_run_id for q in await pg.claim("c", 5, at(10), at(20))] == ["cpu"]


# --- ownership -------------------------------------------------------------------------------
async def test_two_stores_racing_to_take_the_same_executions_each_get_it_once(
    postgres_database: PostgresDatabase, pg: PostgresStore
) -> None:
    """Two stores (as two processes would), many executors each taking an overlapping set
    of executions at once (some with events, all asked for): every execution is owned by
    exactly one of them, as the table says, and no take deadlocks (a StoreError)."""
    other = await opened(postgres_database.url)
    rng = random.Random(7)
    try:
        for round_ in range(5):
            ids = [f"r{round_}-e{i:03d}" for i in range(120)]
            await pg.commit(Batch(events=[NewEvent(e, "created") for e in ids[::4]]))
            calls = []
            for n in range(40):
                start = rng.randrange(len(ids))
                also = (ids[start:] + ids[:start])[: rng.randrange(20, 80)]
                rng.shuffle(also)
                store = (pg, other)[n % 2]
                calls.append((store, f"r{round_}-x{n:02d}", tuple(also)))
            inboxes = await asyncio.gather(
                *(
                    store.inbox(at(0), ownership=Ownership(owner, at(60), also))
                    for store, owner, also in calls
                )
            )
            owners = Counter(e for inbox in inboxes for e in inbox.owned)
            assert [e for e, count in owners.items() if count > 1] == []
            assert set(owners) == set(ids)  # every one was asked for, and free
            reported = {
                e: (owner, token)
                for (_, owner, _), inbox in zip(calls, inboxes, strict=True)
                for e, token in inbox.owned.items()
            }
            with postgres_database.connect() as conn:
                stored = {
                    e: (owner, token)
                    for e, owner, token in conn.execute(
                        "SELECT execution_id, owner, token FROM execution_owners"
                        " WHERE execution_id LIKE %s",
                        (f"r{round_}-%",),
                    )
                }
            assert stored == reported
            for inbox in inboxes:
                assert {e.execution_id for e in inbox.events} <= inbox.owned.keys()
            events = [e for inbox in inboxes for e in inbox.events]
            assert sorted(e.execution_id for e in events) == sorted(ids[::4])
    finally:
        await other.close()


# --- LISTEN/NOTIFY ---------------------------------------------------------------------------
class Notices:
    def __init__(self) -> None:
        self.got: list[Notice] = []
        self.arrived = asyncio.Event()

    def __call__(self, notice: Notice) -> None:
        self.got.append(notice)
        self.arrived.set()

    async def wait(self) -> list[Notice]:
        await asyncio.wait_for(self.arrived.wait(), 5)
        self.arrived.clear()
        got, self.got = self.got, []
        return got


async def _listening(store: PostgresStore) -> None:
    await asyncio.wait_for(store._listener.connected.wait(), 5)


async def test_commits_of_other_stores_notify_the_queue_and_the_inbox(
    postgres_database: PostgresDatabase, pg: PostgresStore
) -> None:
    assert isinstance(pg, WorkNotifications)
    queue_notices, inbox_notices = Notices(), Notices()
    stop_queue = pg.on_work(QUEUE, queue_notices)
    pg.on_work(INBOX, inbox_notices)
    await _listening(pg)
    other = await opened(postgres_database.url)
    try:
        await other.commit(
            Batch(enqueue=[records.queued("e", "b", at(20)), records.queued("e", "a", at(10))])
        )
        assert await queue_notices.wait() == [Notice(QUEUE, at(10))]
        await other.commit(Batch(events=[NewEvent("e", "created")]))
        assert await inbox_notices.wait() == [Notice(INBOX)]
        await other.commit(Batch(timers=[Timer("e", at(5))]))
        assert await inbox_notices.wait() == [Notice(INBOX)]
        # The store's own commits are not reported back; a commit of logs alone, or of rows
        # leased already (to the committing process's own worker), wakes no one.
        await pg.commit(Batch(events=[NewEvent("e", "wake")], enqueue=[records.queued("e")]))
        await other.commit(Batch(logs=[records.log("e", "x")]))
        leased = replace(records.queued("e"), worker_id="local", lease_until=at(30))
        await other.commit(Batch(enqueue=[leased]))
        stop_queue()
        await other.commit(Batch(enqueue=[records.queued("e")], events=[NewEvent("e", "x")]))
        assert await inbox_notices.wait() == [Notice(INBOX)]
        assert queue_notices.got == []
        assert await other.reap_leases(at(0), ["nobody"]) == 0
    finally:
        await other.close()


async def test_reaped_leases_notify_the_inbox(
    postgres_database: PostgresDatabase, pg: PostgresStore
) -> None:
    """Reaped rows become ``lost`` events: their executors read their inbox again."""
    notices = Notices()
    pg.on_work(INBOX, notices)
    await _listening(pg)
    other = await opened(postgres_database.url)
    try:
        await pg.commit(Batch(enqueue=[records.queued("e", "a"), records.queued("e", "b")]))
        await pg.claim("dead", 1, at(0), at(30))
        await pg.claim("slow", 1, at(0), at(30))
        assert await other.reap_leases(at(1), ["dead"]) == 1
        assert await notices.wait() == [Notice(INBOX)]
        assert await other.reap_leases(at(31)) == 1
        assert await notices.wait() == [Notice(INBOX)]
        assert [e.kind for e in await pg.pending_events()] == ["lost", "lost"]
    finally:
        await other.close()


async def test_a_kill_notifies_the_cancel_channel_with_the_task_run_ids(
    postgres_database: PostgresDatabase, pg: PostgresStore
) -> None:
    notices = Notices()
    pg.on_work(CANCEL, notices)
    await _listening(pg)
    other = await opened(postgres_database.url)
    try:
        await other.commit(Batch(cancel=["tr-b", "tr-a", "tr-b"]))
        assert await notices.wait() == [Notice(CANCEL, task_run_ids=("tr-a", "tr-b"))]
        # Many ids are split over several notifications (a payload has a size limit).
        many = [f"tr{i:04d}" for i in range(450)]
        await other.commit(Batch(cancel=many))
        got: list[Notice] = []
        while sum(len(n.task_run_ids) for n in got) < len(many):
            got += await notices.wait()
        assert all(n.channel == CANCEL for n in got) and len(got) > 1
        assert sorted(tr for n in got for tr in n.task_run_ids) == many
        # A commit without kills notifies no one on this channel; the store's own are not
        # reported back.
        await other.commit(Batch(events=[NewEvent("e", "wake")]))
        await pg.commit(Batch(cancel=["tr-own"]))
        await other.commit(Batch(cancel=["tr-last"]))
        assert await notices.wait() == [Notice(CANCEL, task_run_ids=("tr-last",))]
    finally:
        await other.close()


def test_an_unknown_channel_is_refused() -> None:
    store = PostgresStore("postgresql://nowhere/x")
    with pytest.raises(ValueError, match="channel 'jobs'"):
        store.on_work("jobs", lambda notice: None)


# --- reconnection ----------------------------------------------------------------------------
def terminate_backends(database: PostgresDatabase) -> int:
    """Kill every connection to the database but ours, as a server restart would (and wait
    until each backend is gone)."""
    with psycopg.connect(database.admin_url, autocommit=True) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
            " WHERE datname = %s AND pid <> pg_backend_pid()",
            (database.name,),
        ).fetchone()
    return int(killed[0]) if killed else 0


async def test_the_store_reconnects_after_its_backends_are_terminated(
    postgres_database: PostgresDatabase, pg: PostgresStore
) -> None:
    ex = records.execution(state=State.RUNNING)
    await add(pg, ex)
    # Several connections in the pool (each call holds one until all have started), all
    # about to die.
    started = asyncio.Barrier(3)

    async def hold(conn: object) -> None:
        await started.wait()

    await asyncio.gather(*(pg._db.run(hold) for _ in range(3)))
    assert terminate_backends(postgres_database) >= 2
    # The pool checks a connection before lending it: the dead ones are replaced.
    assert await pg.non_terminal_execution_ids() == [ex.id]
    await pg.commit(Batch(events=[NewEvent(ex.id, "wake")]))
    assert [e.kind for e in await pg.pending_events()] == ["wake"]


async def test_the_listener_reconnects_and_says_notices_may_be_lost(
    postgres_database: PostgresDatabase, pg: PostgresStore
) -> None:
    notices = Notices()
    pg.on_work(QUEUE, notices)
    await _listening(pg)
    pg._listener.connected.clear()
    assert terminate_backends(postgres_database) >= 1
    await _listening(pg)
    assert await notices.wait() == [Notice(QUEUE)]  # look again: some may have been lost
    other = await opened(postgres_database.url)
    try:
        await other.commit(Batch(enqueue=[records.queued("e", "tr", at(3))]))
        assert await notices.wait() == [Notice(QUEUE, at(3))]
    finally:
        await other.close()


# --- logs ------------------------------------------------------------------------------------
async def test_following_logs_never_skips_a_line_committed_late(
    postgres_database: PostgresDatabase, pg: PostgresStore
) -> None:
    """Ids are handed out before commit: a writer of an execution's logs waits for the one
    before it to commit, so that a line of a smaller id is never committed after a line of a
    larger id (a follower asking for ids after the larger one would miss it)."""
    with postgres_database.connect() as slow:
        with slow.transaction():
            slow.execute(logs.LOCK_EXECUTIONS, ([logs.lock_key("e")],))
            slow.execute(
                "INSERT INTO logs (tenant, execution_id, namespace, flow_id, level, message,"
                " timestamp) VALUES ('main', 'e', 'ns', 'f', 'INFO', 'first', now())"
            )
            second = asyncio.create_task(pg.append_logs([records.log("e", "second")]))
            other = asyncio.create_task(pg.commit(Batch(logs=[records.log("e2", "elsewhere")])))
            await asyncio.wait_for(other, 5)  # another execution's logs do not wait
            await asyncio.sleep(0.3)
            assert not second.done()  # waits for 'first' to commit
            assert await pg.list_logs("e") == []
        await asyncio.wait_for(second, 5)
    listed = await pg.list_logs("e")
    assert [entry.message for _, entry in listed] == ["first", "second"]
    assert listed[0][0] < listed[1][0]


async def test_nul_characters_in_log_lines_are_replaced(pg: PostgresStore) -> None:
    await pg.append_logs([records.log("e", "a\x00b")])
    assert [entry.message for _, entry in await pg.list_logs("e")] == ["a\ufffdb"]


# --- tenants, URLs, errors -------------------------------------------------------------------
async def test_rows_of_an_execution_carry_its_tenant(
    postgres_database: PostgresDatabase, pg: PostgresStore
) -> None:
    ex = records.execution(tenant="acme")
    ex.task_runs = [records.task_run(ex)]
    await add(pg, ex)
    await pg.commit(
        Batch(
            enqueue=[records.queued(ex.id, ex.task_runs[0].id)],
            events=[NewEvent(ex.id, "created")],
            timers=[Timer(ex.id, at(1))],
            logs=[records.log(ex.id, "x")],
        )
    )
    with postgres_database.connect() as conn:
        tenants = {
            table: conn.execute(
                sql.SQL("SELECT DISTINCT tenant FROM {}").format(sql.Identifier(table))
            ).fetchall()
            for table in ("executions", "task_runs", "queue", "events", "timers")
        }
    assert {table: [("acme",)] for table in tenants} == tenants


@pytest.mark.parametrize("scheme", ["postgresql", "postgres"])
async def test_open_store_with_a_postgresql_url(
    postgres_database: PostgresDatabase, scheme: str
) -> None:
    postgres_database.truncate()
    url = scheme + "://" + postgres_database.url.partition("://")[2]
    store = open_store(url)
    assert isinstance(store, PostgresStore)
    await store.open()
    try:
        assert await store.pending_events() == []
    finally:
        await store.close()


async def test_connection_errors_never_show_the_password() -> None:
    store = open_store("postgresql://headway:s3cret-pw@127.0.0.1:1/headway")
    assert "s3cret" not in repr(store)
    with pytest.raises(StoreError) as caught:
        await store.open()
    assert "s3cret" not in str(caught.value)
    assert "headway:****@127.0.0.1:1" in str(caught.value)


def test_unsupported_urls_are_refused_without_their_password() -> None:
    with pytest.raises(StoreError, match="URL") as caught:
        open_store("mysql://root:hunter2@db/x")
    assert "hunter2" not in str(caught.value)


async def test_driver_errors_name_the_operation(
    postgres_database: PostgresDatabase, fresh_database: PostgresDatabase
) -> None:
    store = await opened(fresh_database.url)
    try:
        with fresh_database.connect() as conn:
            conn.execute("DROP TABLE logs")
        with pytest.raises(StoreError, match='list logs failed: relation "logs" does not exist'):
            await store.list_logs("e")
    finally:
        await store.close()


async def test_a_closed_or_unopened_store_refuses_calls(
    postgres_database: PostgresDatabase,
) -> None:
    store = PostgresStore(postgres_database.url)
    with pytest.raises(StoreError, match="not open"):
        await store.get_execution("x")
    await store.open()
    await store.close()
    await store.close()  # closing twice is harmless
    with pytest.raises(StoreError, match="not open"):
        await store.get_execution("x")


async def test_a_missing_database_is_a_store_error_naming_the_connection(
    postgres_database: PostgresDatabase,
) -> None:
    with pytest.raises(StoreError, match="connecting"):
        await opened(with_database(postgres_database.url, "headway_no_such_database"))
