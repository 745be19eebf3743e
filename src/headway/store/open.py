"""Opens the store that a database URL names."""

from __future__ import annotations

from headway.errors import StoreError
from headway.store.base import Store


def open_store(url: str) -> Store:
    """A store for ``sqlite:///relative.db``, ``sqlite:////absolute.db`` or
    ``sqlite:///:memory:``; call ``await open()`` before use."""
    if url.startswith("sqlite://"):
        from headway.store.sqlite.store import SQLiteStore

        return SQLiteStore(url.removeprefix("sqlite:///") or ":memory:")
    raise StoreError(f"unsupported database URL '{url}' (expected sqlite:///PATH)")
