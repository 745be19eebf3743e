"""The PostgreSQL store across a restart of the database, on a server of the test's own
(tests/store/postgres_server.py): calls made while it is down fail with a StoreError, and
once it is back the store works again without being reopened (pool and listener
reconnect). Skipped when PostgreSQL's server binaries are not installed, unless
HEADWAY_REQUIRE_SERVICES=1."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from headway.errors import StoreError
from headway.state import State
from headway.store.base import Batch, NewEvent
from headway.store.notifications import QUEUE, Notice
from headway.store.postgres import PostgresStore
from postgres_db import require_service

from . import records
from .postgres_server import PrivateServer, find_binaries, private_server
from .records import add, at

pytestmark = pytest.mark.slow


@pytest.fixture
def server() -> Iterator[PrivateServer]:
    bin_dir = find_binaries()
    if bin_dir is None:
        require_service("PostgreSQL's server binaries (initdb, pg_ctl) are not installed")
        raise AssertionError("not reached")
    with private_server(bin_dir) as server:
        yield server


async def test_the_store_works_again_after_the_database_restarts(server: PrivateServer) -> None:
    # A call waits up to 6 s for a connection: the pool's retry may have fallen just before
    # the server accepted connections again, and the next one comes within 3 s.
    store = PostgresStore(server.url, max_size=4, wait_seconds=6)
    other = PostgresStore(server.url, max_size=2, wait_seconds=6)
    await store.open()
    await other.open()
    try:
        notices: list[Notice] = []
        arrived = asyncio.Event()

        def heard(notice: Notice) -> None:
            notices.append(notice)
            arrived.set()

        store.on_work(QUEUE, heard)
        await asyncio.wait_for(store._listener.connected.wait(), 10)
        ex = records.execution(state=State.RUNNING)
        await add(store, ex)
        await asyncio.gather(*(store.get_execution(ex.id) for _ in range(4)))  # 4 connections

        await asyncio.to_thread(server.stop)
        with pytest.raises(StoreError, match="pending events failed"):
            await store.pending_events()

        await asyncio.to_thread(server.start)
        # Without reopening: the same store, new connections.
        assert await store.non_terminal_execution_ids() == [ex.id]
        await store.commit(Batch(events=[NewEvent(ex.id, "wake")]))
        assert [e.kind for e in await other.pending_events()] == ["wake"]

        # The listener came back too, saying that notices may have been lost meanwhile.
        await asyncio.wait_for(arrived.wait(), 15)
        assert notices == [Notice(QUEUE)]
        arrived.clear()
        notices.clear()
        await other.commit(Batch(enqueue=[records.queued(ex.id, "tr", at(1))]))
        await asyncio.wait_for(arrived.wait(), 10)
        assert notices == [Notice(QUEUE, at(1))]

        # A restart while idle: the next call succeeds at once.
        await asyncio.to_thread(server.restart)
        claimed = await store.claim("w", 5, at(2), at(60))
        assert [q.task_run_id for q in claimed] == ["tr"]
    finally:
        await store.close()
        await other.close()


async def test_a_call_waiting_through_a_long_outage_goes_on_once_the_database_is_back(
    server: PrivateServer,
) -> None:
    """Down for longer than the pool's reconnection attempt (3 s): a call that waited all
    along gets its connection soon after the database is back, not at the end of its 30 s."""
    store = PostgresStore(server.url)
    await store.open()
    try:
        await store.pending_events()
        await asyncio.to_thread(server.stop)
        waiting = asyncio.ensure_future(store.pending_events())
        await asyncio.sleep(5)
        assert not waiting.done()
        await asyncio.to_thread(server.start)
        loop = asyncio.get_running_loop()
        back = loop.time()
        assert await asyncio.wait_for(waiting, 20) == []
        assert loop.time() - back < 5
    finally:
        await store.close()
