"""The PostgreSQL store: :class:`PostgresStore`."""

from headway.store.postgres.store import PostgresStore

__all__ = ["PostgresStore"]
