"""The engine on PostgreSQL, woken by another process's commits (LISTEN/NOTIFY) rather than
by its next poll."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from headway.engine.engine import Engine
from headway.flows.loader import parse_flow
from headway.settings import Settings
from headway.state import State
from headway.store.base import Batch, NewEvent
from headway.store.postgres import PostgresStore
from postgres_db import PostgresDatabase

APPROVAL = """\
id: approval
namespace: demo
tasks:
  - id: wait
    type: io.kestra.plugin.core.flow.Pause
  - id: after
    type: io.kestra.plugin.core.log.Log
    message: resumed
"""


@pytest.fixture
async def stores(postgres_database: PostgresDatabase) -> AsyncIterator[list[PostgresStore]]:
    postgres_database.truncate()
    opened = [PostgresStore(postgres_database.url) for _ in range(2)]
    for store in opened:
        await store.open()
    try:
        yield opened
    finally:
        for store in opened:
            await store.close()


async def test_another_process_resume_wakes_the_executor(
    stores: list[PostgresStore], tmp_path: Path
) -> None:
    mine, other = stores
    engine = Engine(mine, Settings.load({"home": tmp_path}, environ={}))
    await engine.start()
    try:
        flow = parse_flow(APPROVAL, task_types=engine.registry)
        record = await mine.save_flow("main", "demo", "approval", APPROVAL)
        created = await engine.executor.create_execution(flow, record.revision, {})
        paused = await engine.wait(created.id)
        assert paused.current is State.PAUSED

        woken = asyncio.Event()
        inbox_changed = engine.executor.inbox_changed

        def spy() -> None:
            woken.set()
            inbox_changed()

        engine.executor.inbox_changed = spy  # type: ignore[method-assign]
        # The resume comes from another process's store: only a notification tells this
        # engine's executor before its next poll (which would not call inbox_changed).
        await other.commit(Batch(events=[NewEvent(created.id, "resume", {"inputs": {}})]))
        await asyncio.wait_for(woken.wait(), timeout=5)
        done = await engine.wait(created.id)
        assert done.current is State.SUCCESS
    finally:
        await engine.stop()
