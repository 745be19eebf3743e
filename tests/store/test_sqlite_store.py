"""The SQLite store: the shared contract on a file and in memory, and what only SQLite has
(migrations, the schema they produce, durability of the file, URLs, errors)."""

from __future__ import annotations

import ast
import asyncio
import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from headway.errors import StoreError
from headway.state import State
from headway.store import open_store
from headway.store.base import Batch, KVEntry, NewEvent, Store, Timer
from headway.store.sqlite import SQLiteStore
from headway.store.sqlite.migrations import available, statements

from . import records
from .contract import StoreContract
from .records import add, at

SRC = Path(__file__).resolve().parents[2] / "src" / "headway"


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "headway.db"


async def opened(path: str | Path) -> SQLiteStore:
    store = SQLiteStore(str(path))
    await store.open()
    return store


class TestSQLiteFileStore(StoreContract):
    @pytest.fixture
    async def store(self, db_path: Path) -> AsyncIterator[Store]:
        store = await opened(db_path)
        yield store
        await store.close()

    @pytest.fixture
    async def other_store(self, db_path: Path, store: Store) -> AsyncIterator[Store]:
        other = await opened(db_path)
        yield other
        await other.close()


class TestSQLiteMemoryStore(StoreContract):
    @pytest.fixture
    async def store(self) -> AsyncIterator[Store]:
        store = await opened(":memory:")
        yield store
        await store.close()

    @pytest.fixture
    def other_store(self) -> Store:
        pytest.skip("a :memory: database belongs to one connection")


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
EXPECTED_INDEXES = {
    "executions_by_flow": ("executions", ["tenant", "namespace", "flow_id", "start_date"]),
    "executions_by_state": ("executions", ["state", "start_date"]),
    "executions_by_start": ("executions", ["tenant", "start_date", "id"]),
    "executions_by_tenant_state": ("executions", ["tenant", "state", "start_date", "id"]),
    "task_runs_by_execution": ("task_runs", ["execution_id", "seq"]),
    "queue_free_by_ready_at": ("queue", ["ready_at", "task_run_id"]),
    "queue_leased_by_lease_until": ("queue", ["lease_until"]),
    "timers_by_due_at": ("timers", ["due_at"]),
    "timers_by_execution": ("timers", ["execution_id"]),
    "logs_by_execution": ("logs", ["execution_id", "id"]),
    "logs_by_time": ("logs", ["tenant", "timestamp"]),
    "audit_log_by_time": ("audit_log", ["tenant", "at"]),
    "execution_owners_by_owner": ("execution_owners", ["owner"]),
}


@contextmanager
def inspect(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection to look at (or tamper with) the database behind the store's back."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


async def test_migrations_produce_the_expected_tables_and_indexes(db_path: Path) -> None:
    await (await opened(db_path)).close()
    with inspect(db_path) as conn:
        tables = {
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if not name.startswith("sqlite_")
        }
        indexes = {
            name: (table, [col[2] for col in conn.execute(f"PRAGMA index_info({name})")])
            for name, table in conn.execute(
                "SELECT name, tbl_name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
            )
        }
        tenant_tables = {
            table
            for table in EXPECTED_TABLES - {"schema_migrations"}
            if "tenant" in {col[1] for col in conn.execute(f"PRAGMA table_info({table})")}
        }
    assert tables == EXPECTED_TABLES
    assert indexes == EXPECTED_INDEXES
    assert tenant_tables == EXPECTED_TABLES - {"schema_migrations"} - PROCESS_TABLES


async def test_migrations_are_recorded_and_applied_once(db_path: Path) -> None:
    await (await opened(db_path)).close()
    with inspect(db_path) as conn:
        first = conn.execute("SELECT version, name, applied FROM schema_migrations").fetchall()
    store = await opened(db_path)
    await store.open()  # opening an open store does nothing
    await store.close()
    with inspect(db_path) as conn:
        again = conn.execute("SELECT version, name, applied FROM schema_migrations").fetchall()
    assert [(v, n) for v, n, _ in first] == [(m.version, m.name) for m in available()]
    assert available()[0].version == 1 and available()[0].name == "initial"
    assert again == first


async def test_stores_opening_a_new_file_at_once_migrate_it_once(db_path: Path) -> None:
    stores = await asyncio.gather(*(opened(db_path) for _ in range(4)))
    for store in stores:
        await store.close()
    with inspect(db_path) as conn:
        versions = [v for (v,) in conn.execute("SELECT version FROM schema_migrations")]
    assert versions == [m.version for m in available()]


async def test_a_database_newer_than_the_code_is_refused(db_path: Path) -> None:
    await (await opened(db_path)).close()
    with inspect(db_path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', 'x')")
    with pytest.raises(StoreError, match="newer"):
        await opened(db_path)


def test_migration_scripts_split_into_statements() -> None:
    script = """
    -- a comment; with a semicolon
    CREATE TABLE a (x TEXT DEFAULT 'semi;colon');
    CREATE TRIGGER t AFTER INSERT ON a BEGIN SELECT 1; SELECT 2; END;
    -- trailing comment
    """
    found = list(statements(script))
    assert len(found) == 2
    assert found[0].endswith("DEFAULT 'semi;colon');")
    assert found[1].startswith("CREATE TRIGGER") and found[1].endswith("END;")
    with pytest.raises(StoreError, match="incomplete"):
        list(statements("CREATE TRIGGER u AFTER INSERT ON a BEGIN SELECT 1;"))
    assert list(statements("CREATE TABLE b (x TEXT)")) == ["CREATE TABLE b (x TEXT);"]


# --- durability, lifecycle, errors -----------------------------------------------------------
async def test_everything_survives_close_and_reopen(db_path: Path) -> None:
    store = await opened(db_path)
    ex = records.rich_execution()
    await add(store, ex)
    await store.commit(
        Batch(
            events=[NewEvent(ex.id, "created")],
            enqueue=[records.queued(ex.id, "tr")],
            logs=[records.log(ex.id, "hello")],
        )
    )
    await store.save_flow("main", "ns", "f", "id: f")
    await store.kv_put(KVEntry("main", "ns", "k", [1]))
    await store.close()

    store = await opened(db_path)
    try:
        back = await store.get_execution(ex.id)
        assert back is not None and back.to_json() == ex.to_json()
        assert [e.kind for e in await store.pending_events()] == ["created"]
        assert await store.next_ready_at() == records.T0
        assert [e.message for _, e in await store.list_logs(ex.id)] == ["hello"]
        assert (await store.get_flow("main", "ns", "f")) is not None
        kv = await store.kv_get("main", "ns", "k", at(0))
        assert kv is not None and kv.value == [1]
    finally:
        await store.close()


async def test_the_database_is_in_wal_mode(db_path: Path) -> None:
    await (await opened(db_path)).close()
    with inspect(db_path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_a_closed_or_unopened_store_refuses_calls(db_path: Path) -> None:
    store = SQLiteStore(str(db_path))
    with pytest.raises(StoreError, match="not open"):
        await store.get_execution("x")
    await store.open()
    await store.close()
    await store.close()  # closing twice is harmless
    with pytest.raises(StoreError, match="not open"):
        await store.get_execution("x")


@pytest.fixture
def garbage_file(db_path: Path) -> Path:
    db_path.write_bytes(b"this is not a SQLite database, not at all" * 100)
    return db_path


async def test_a_file_that_is_not_a_database_is_a_store_error(garbage_file: Path) -> None:
    db_path = garbage_file
    with pytest.raises(StoreError, match=str(db_path)):
        await opened(db_path)


async def test_driver_errors_name_the_operation(db_path: Path) -> None:
    store = await opened(db_path)
    try:
        with inspect(db_path) as conn:
            conn.execute("DROP TABLE logs")
        with pytest.raises(StoreError, match="list logs failed: no such table: logs"):
            await store.list_logs("e")
    finally:
        await store.close()


async def test_two_stores_on_one_file_see_each_others_writes(db_path: Path) -> None:
    first, second = await opened(db_path), await opened(db_path)
    try:
        ex = records.execution(state=State.RUNNING)
        await add(first, ex)
        assert await second.non_terminal_execution_ids() == [ex.id]
    finally:
        await first.close()
        await second.close()


# --- URLs ------------------------------------------------------------------------------------
async def test_open_store_with_a_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    store = open_store("sqlite:///data/relative.db")
    await store.open()
    await store.close()
    assert (tmp_path / "data" / "relative.db").is_file()


async def test_open_store_with_an_absolute_path_creates_parents(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "headway.db"
    store = open_store(f"sqlite:///{path}")
    assert str(path).startswith("/")  # so the URL above has four slashes
    await store.open()
    await store.close()
    assert path.is_file()


async def test_open_store_in_memory() -> None:
    store = open_store("sqlite:///:memory:")
    assert isinstance(store, SQLiteStore) and store.path == ":memory:"
    await store.open()
    try:
        assert await store.pending_events() == []
    finally:
        await store.close()


@pytest.mark.parametrize(
    "url", ["sqlite://", "sqlite:///", "sqlite://host/x.db", "mysql://x/y", "headway.db"]
)
def test_open_store_rejects_other_urls(url: str) -> None:
    with pytest.raises(StoreError, match="URL"):
        open_store(url)


# --- the boundary ----------------------------------------------------------------------------
DRIVERS = {"sqlite3", "aiosqlite", "psycopg", "psycopg2", "psycopg_pool", "asyncpg"}


def test_only_the_store_package_imports_a_database_driver() -> None:
    store_package = SRC / "store"
    offenders = []
    for path in SRC.rglob("*.py"):
        if store_package in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            offenders += [
                f"{path.relative_to(SRC)}: {n}" for n in names if n.split(".")[0] in DRIVERS
            ]
    assert offenders == []


async def test_rows_of_an_execution_carry_its_tenant(db_path: Path) -> None:
    store = await opened(db_path)
    try:
        ex = records.execution(tenant="acme")
        ex.task_runs = [records.task_run(ex)]
        await add(store, ex)
        await store.commit(
            Batch(
                enqueue=[records.queued(ex.id, ex.task_runs[0].id)],
                events=[NewEvent(ex.id, "created")],
                timers=[Timer(ex.id, at(1))],
                logs=[records.log(ex.id, "x")],
            )
        )
    finally:
        await store.close()
    with inspect(db_path) as conn:
        tenants = {
            table: conn.execute(f"SELECT DISTINCT tenant FROM {table}").fetchall()
            for table in ("executions", "task_runs", "queue", "events", "timers")
        }
    assert {table: [("acme",)] for table in tenants} == tenants
