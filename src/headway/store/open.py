"""Opens the store that a database URL names."""

from __future__ import annotations

from headway.errors import StoreError
from headway.store.base import Store


def open_store(url: str) -> Store:
    """A store for ``sqlite:///relative.db``, ``sqlite:////absolute.db`` or
    ``sqlite:///:memory:``; call ``await open()`` before use (it creates the file and its
    parent directories if needed)."""
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
    raise StoreError(f"unsupported database URL '{url}' (expected sqlite:///PATH)")
