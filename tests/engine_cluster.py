"""Several engines in one test process on one PostgreSQL database, each on a store object of
its own (its own pool and notification connection, as separate processes have); the
``cluster`` fixture (registered in conftest.py) stops them all at the end.

Imported by name (``from engine_cluster import Cluster``), as postgres_db.py is."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any

import pytest

from headway.engine.engine import Engine
from headway.settings import Settings
from headway.store.postgres import PostgresStore
from postgres_db import PostgresDatabase


class Cluster:
    """Engines started on stores of their own, stopped at the end."""

    def __init__(self, url: str, home: Path, stack: AsyncExitStack) -> None:
        self.url = url
        self.home = home
        self.stack = stack
        self.count = 0

    async def engine(self, *components: str, lease: float = 30.0, **settings: Any) -> Engine:
        self.count += 1
        store = PostgresStore(self.url)
        await store.open()
        self.stack.push_async_callback(store.close)
        values = {"home": self.home / str(self.count), "lease_seconds": lease, **settings}
        engine = Engine(store, Settings.load(values, environ={}), components=frozenset(components))
        await engine.start()
        self.stack.push_async_callback(engine.stop)
        return engine


@pytest.fixture
async def cluster(postgres_database: PostgresDatabase, tmp_path: Path) -> AsyncIterator[Cluster]:
    postgres_database.truncate()
    async with AsyncExitStack() as stack:
        yield Cluster(postgres_database.url, tmp_path, stack)
