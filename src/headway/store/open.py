"""Opens the store that a database URL names."""

from __future__ import annotations

from headway.errors import StoreError
from headway.store.base import Store


def open_store(url: str) -> Store:
    """A store for ``sqlite:///relative.db``, ``sqlite:////absolute.db`` or
    ``sqlite:///:memory:``, or ``postgresql://user:password@host:port/database`` (also
    ``postgres://``; libpq's parameters such as ``?sslmode=require`` pass through); call
    ``await open()`` before use (it creates the SQLite file and its parent directories if
    needed, and applies pending migrations)."""
    scheme, separator, rest = url.partition("://")
    if scheme == "sqlite" and separator:
        path = rest.removeprefix("/")
        if path == rest or not path:
            raise StoreError(
                f"invalid SQLite URL '{url}' (expected sqlite:///relative.db, "
                "sqlite:////absolute/path.db or sqlite:///:memory:)"
            )
        from headway.store.sqlite import SQLiteStore

        return SQLiteStore(path)
    # --- PostgreSQL (headway.store.postgres) ---
    if scheme in ("postgresql", "postgres") and separator:
        from headway.store.postgres import PostgresStore

        return PostgresStore(url)
    from headway.store.postgres.connection import redact

    raise StoreError(
        f"unsupported database URL '{redact(url)}' "
        "(expected sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE)"
    )
