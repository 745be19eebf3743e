"""The one thread that owns a SQLite connection, and the boundary that translates its errors.

sqlite3 blocks, so every call of the store runs on one dedicated thread (its connection was
created there and is used nowhere else) and the event loop awaits it. Calls are therefore
serialised in the order they were made, which is also what SQLite allows of one connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import queue
import sqlite3
import threading
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

from headway.errors import StoreError
from headway.store.sqlite.connection import connect

P = ParamSpec("P")
T = TypeVar("T")


_Job = tuple[Callable[..., Any], tuple[object, ...], asyncio.AbstractEventLoop, asyncio.Future[Any]]


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class _Runner(threading.Thread):
    """A thread that runs jobs in order and hands results back to their event loop.

    (A bare queue and ``call_soon_threadsafe`` cost half of what ``run_in_executor`` does per
    call, and the store makes several calls per TaskRun.)"""

    def __init__(self) -> None:
        super().__init__(name="headway-sqlite", daemon=True)
        self.jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()

    def run(self) -> None:
        while (job := self.jobs.get()) is not None:
            fn, args, loop, future = job
            try:
                result, error = fn(*args), None
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting coroutine
                result, error = None, exc
            # A closed loop raises RuntimeError: nobody awaits this any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, result, error)


class ConnectionThread:
    """Runs functions of a connection on the connection's own thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._runner: _Runner | None = None
        self._conn: sqlite3.Connection | None = None

    @property
    def is_open(self) -> bool:
        return self._runner is not None

    async def open(self, setup: Callable[[sqlite3.Connection], None]) -> None:
        """Start the thread, connect on it and run ``setup`` (the migrations)."""
        if self._runner is not None:
            return
        self._runner = _Runner()
        self._runner.start()
        try:
            await self._submit(self._connect, setup)
        except BaseException:
            self._stop()
            raise

    async def close(self) -> None:
        if self._runner is None:
            return
        try:
            await self._submit(self._disconnect)
        finally:
            self._stop()

    def _stop(self) -> None:
        runner, self._runner = self._runner, None
        if runner is not None:
            runner.jobs.put(None)
            runner.join()

    async def run(
        self,
        fn: Callable[Concatenate[sqlite3.Connection, P], T],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``fn(connection, *args, **kwargs)`` on the thread; sqlite3 errors become StoreError."""
        target = functools.partial(fn, **kwargs) if kwargs else fn
        return await self._submit(self._call, target, *args)

    async def _submit(self, fn: Callable[..., T], *args: object) -> T:
        runner = self._runner
        if runner is None:
            raise StoreError(f"the SQLite store '{self.path}' is not open")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        runner.jobs.put((fn, args, loop, future))
        return await future

    def _call(self, fn: Callable[..., T], *args: object) -> T:
        conn = self._conn
        if conn is None:
            raise StoreError(f"the SQLite store '{self.path}' is not open")
        try:
            return fn(conn, *args)
        except sqlite3.Error as exc:
            raise StoreError(f"SQLite store '{self.path}': {_name(fn)} failed: {exc}") from exc

    def _connect(self, setup: Callable[[sqlite3.Connection], None]) -> None:
        try:
            conn = connect(self.path)
        except (sqlite3.Error, OSError) as exc:
            raise StoreError(f"cannot open the SQLite store '{self.path}': {exc}") from exc
        self._conn = conn
        try:
            self._call(setup)
        except BaseException:
            self._disconnect()
            raise

    def _disconnect(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()


def _name(fn: Callable[..., object]) -> str:
    target = fn.func if isinstance(fn, functools.partial) else fn
    return getattr(target, "__name__", "query").strip("_").replace("_", " ")
