"""The SQLite store: :class:`SQLiteStore`."""

from headway.store.sqlite.store import SQLiteStore

__all__ = ["SQLiteStore"]
