"""The one thread that owns a SQLite connection, and the boundary that translates its errors.

sqlite3 blocks, so every call of the store runs on one dedicated thread (its connection was
created there and is used nowhere else) and the event loop awaits it. Calls are therefore
serialised in the order they were made, which is also what SQLite allows of one connection.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Concatenate, ParamSpec, TypeVar

from headway.errors import StoreError
from headway.store.sqlite.connection import connect

P = ParamSpec("P")
T = TypeVar("T")


class ConnectionThread:
    """Runs functions of a connection on the connection's own thread."""

    def __init__(self, path: str) -> None:
        self.path = path
        self._executor: ThreadPoolExecutor | None = None
        self._conn: sqlite3.Connection | None = None

    @property
    def is_open(self) -> bool:
        return self._executor is not None

    async def open(self, setup: Callable[[sqlite3.Connection], None]) -> None:
        """Start the thread, connect on it and run ``setup`` (the migrations)."""
        if self._executor is not None:
            return
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="headway-sqlite")
        try:
            await self._submit(self._connect, setup)
        except BaseException:
            self._executor.shutdown(wait=True)
            self._executor = None
            raise

    async def close(self) -> None:
        executor, self._executor = self._executor, None
        if executor is None:
            return
        try:
            await asyncio.get_running_loop().run_in_executor(executor, self._disconnect)
        finally:
            executor.shutdown(wait=True)

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
        executor = self._executor
        if executor is None:
            raise StoreError(f"the SQLite store '{self.path}' is not open")
        return await asyncio.get_running_loop().run_in_executor(executor, fn, *args)

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
