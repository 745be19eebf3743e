"""The connection pool of a PostgreSQL store, and the boundary that translates driver errors.

Every call of the store borrows a connection from a psycopg pool for the length of one
function of a query module (see :meth:`Database.run`). Connections are in autocommit mode:
reads see the latest commits, writes open their transaction explicitly.

The pool checks a connection before lending it (:func:`check`), so that after the server
restarts (or a backend is terminated) the next call gets a new connection instead of a dead
one. The check costs no round trip when nothing happened: an idle connection has nothing to
read, unless the server said goodbye (a terminated backend sends an error, then closes).
Only then is the connection asked for a reply, and replaced if it gives none.
"""

from __future__ import annotations

import asyncio
import functools
import select
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from headway.errors import StoreError

P = ParamSpec("P")
T = TypeVar("T")

Conn = psycopg.AsyncConnection[tuple[Any, ...]]

CONNECT_TIMEOUT_S = 10
# The pool retries a failed connection with a growing delay (1 s, 2 s, 4 s...) and, while a
# retry is pending, starts no other: after a long outage the database could be back for a
# while before anyone noticed. Giving up after a few seconds instead lets the next call that
# needs a connection start a new attempt at once.
RECONNECT_GIVE_UP_S = 3.0
# How long one request for a pooled connection waits before it asks again (see _borrow).
BORROW_SLICE_S = 1.0
# Every session speaks UTC (timestamps come back as UTC datetimes) and names itself.
SESSION_OPTIONS = "-c TimeZone=UTC"
APPLICATION_NAME = "headway"


def redact(url: str) -> str:
    """The URL with its password (in the user part or as ``?password=``) replaced by
    ``****``, for messages and repr."""
    parts = urlsplit(url)
    if parts.password is not None:
        netloc = parts.netloc.rpartition("@")
        userinfo = netloc[0].partition(":")[0]
        parts = parts._replace(netloc=f"{userinfo}:****@{netloc[2]}")
    if "password" in parts.query:
        query = [(k, "****" if k == "password" else v) for k, v in parse_qsl(parts.query)]
        parts = parts._replace(query=urlencode(query, safe="*"))
    return urlunsplit(parts)


def secrets_of(url: str) -> list[str]:
    """The password of the URL as written and as decoded, to keep out of any message."""
    try:
        parts = urlsplit(url)
        password = parts.password or dict(parse_qsl(parts.query)).get("password")
    except ValueError:
        return []
    return [] if not password else sorted({password, unquote(password)}, key=len, reverse=True)


def connect_kwargs() -> dict[str, Any]:
    return {
        "autocommit": True,
        "connect_timeout": CONNECT_TIMEOUT_S,
        "options": SESSION_OPTIONS,
        "application_name": APPLICATION_NAME,
    }


def _has_input(fileno: int) -> bool:
    """Whether the socket has something to read (without waiting)."""
    poller = select.poll()
    poller.register(fileno, select.POLLIN | select.POLLERR | select.POLLHUP)
    return bool(poller.poll(0))


async def check(conn: Conn) -> None:
    """The pool's check before lending ``conn``: raises if the connection is dead."""
    if conn.closed or conn.broken:
        raise psycopg.OperationalError("the connection is closed")
    if _has_input(conn.fileno()):
        await AsyncConnectionPool.check_connection(conn)


class Database:
    """A pool of connections to the database at ``url``, and error translation."""

    def __init__(
        self, url: str, *, min_size: int = 1, max_size: int = 10, wait_seconds: float = 30.0
    ) -> None:
        self.url = url
        self.where = redact(url)
        self._secrets = secrets_of(url)
        self.min_size = min_size
        self.max_size = max_size
        # How long a call waits for a connection (all busy, or the database unreachable)
        # before it fails.
        self.wait_seconds = wait_seconds
        self._pool: AsyncConnectionPool[Conn] | None = None

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    def error(self, what: str, exc: BaseException) -> StoreError:
        """A StoreError naming the store and the operation, never the password."""
        message = f"PostgreSQL store '{self.where}': {what} failed: {exc}".strip()
        for secret in self._secrets:
            message = message.replace(secret, "****")
        return StoreError(message)

    async def connect(self) -> Conn:
        """A connection of its own (not from the pool), autocommit, UTC."""
        try:
            return await psycopg.AsyncConnection.connect(self.url, **connect_kwargs())
        except psycopg.Error as exc:
            raise self.error("connecting", exc) from None

    async def open(self) -> None:
        if self._pool is not None:
            return
        pool: AsyncConnectionPool[Conn] = AsyncConnectionPool(
            self.url,
            min_size=self.min_size,
            max_size=self.max_size,
            timeout=self.wait_seconds,
            reconnect_timeout=RECONNECT_GIVE_UP_S,
            kwargs=connect_kwargs(),
            check=check,
            open=False,
            name="headway",
        )
        try:
            await pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as exc:
            await pool.close()
            raise self.error("opening the connection pool", exc) from None
        self._pool = pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            await pool.close()

    async def run(
        self,
        fn: Callable[Concatenate[Conn, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """``await fn(connection, *args, **kwargs)`` on a pooled connection; psycopg errors
        become StoreError naming the operation (the function's name)."""
        pool = self._pool
        if pool is None:
            raise StoreError(f"the PostgreSQL store '{self.where}' is not open")
        try:
            conn = await self._borrow(pool)
            try:
                return await fn(conn, *args, **kwargs)
            finally:
                await pool.putconn(conn)
        except psycopg.Error as exc:
            raise self.error(_name(fn), exc) from exc

    async def _borrow(self, pool: AsyncConnectionPool[Conn]) -> Conn:
        """A connection within ``wait_seconds``, asked for in slices: after an outage longer
        than the pool's reconnection attempt, only a new request starts another one, so a
        caller that waited all along would otherwise wait its whole term after the
        database is back."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_seconds
        while True:
            remaining = deadline - loop.time()
            try:
                return await pool.getconn(timeout=max(0.01, min(BORROW_SLICE_S, remaining)))
            except PoolTimeout:
                if loop.time() >= deadline:
                    raise


def _name(fn: Callable[..., object]) -> str:
    target = fn.func if isinstance(fn, functools.partial) else fn
    return getattr(target, "__name__", "query").strip("_").replace("_", " ")
