"""Versioned schema migrations: ``migrations/NNNN_name.sql``, applied in order on open.

Each file runs in its own transaction together with its row in ``schema_migrations``, after
taking a transaction-level advisory lock: several processes opening the same database at
once wait for each other, and the first applies each migration once (the others find it
recorded). PostgreSQL's DDL is transactional, so a migration is applied entirely or not at
all. Files hold plain statements, no BEGIN or COMMIT.
"""

from __future__ import annotations

import psycopg

from headway.errors import StoreError
from headway.execution import utcnow
from headway.store.migration_files import Migration, migration_files
from headway.store.postgres.connection import Conn

# Any 64-bit number that no one else uses: Headway's migrations hold it while they run.
MIGRATION_LOCK = 0x4845_4144_5741_5901  # "HEADWAY" + 1

LOCK = "SELECT pg_advisory_xact_lock(%s)"
CREATE_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version integer PRIMARY KEY,
    name text NOT NULL,
    applied timestamptz NOT NULL
)"""
APPLIED_VERSIONS = "SELECT version FROM schema_migrations ORDER BY version"
RECORD = "INSERT INTO schema_migrations (version, name, applied) VALUES (%s, %s, %s)"


def available() -> list[Migration]:
    """The migrations shipped with Headway, by version."""
    return migration_files(__package__ or "", "PostgreSQL")


async def migrate(conn: Conn) -> list[int]:
    """Apply every pending migration, each in its own transaction under the lock; return
    the versions applied here."""
    known = available()
    newest = known[-1].version if known else 0
    async with conn.transaction():
        await conn.execute(LOCK, (MIGRATION_LOCK,))
        await conn.execute(CREATE_SCHEMA_MIGRATIONS)
        applied = await _applied(conn)
    if applied and max(applied) > newest:
        raise StoreError(
            f"the database schema is at version {max(applied)}, newer than this Headway "
            f"knows ({newest}): upgrade Headway"
        )
    done = []
    for migration in known:
        if migration.version not in applied and await _apply(conn, migration):
            done.append(migration.version)
    return done


async def _applied(conn: Conn) -> set[int]:
    cursor = await conn.execute(APPLIED_VERSIONS)
    return {row[0] for row in await cursor.fetchall()}


async def _apply(conn: Conn, migration: Migration) -> bool:
    async with conn.transaction():
        await conn.execute(LOCK, (MIGRATION_LOCK,))
        if migration.version in await _applied(conn):
            return False  # another process applied it meanwhile
        try:
            # No parameters: the file's statements go in one simple query.
            await conn.execute(migration.sql.encode("utf-8"))
        except psycopg.Error as exc:
            raise StoreError(
                f"PostgreSQL migration {migration.version:04d}_{migration.name} failed: {exc}"
            ) from exc
        await conn.execute(RECORD, (migration.version, migration.name, utcnow()))
    return True
