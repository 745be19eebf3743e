"""Versioned schema migrations: ``migrations/NNNN_name.sql``, applied in order on open.

Each file runs in its own transaction together with its row in ``schema_migrations``, so a
migration is applied entirely or not at all, and two processes opening the same database at
once apply it once. Files hold plain statements, no BEGIN or COMMIT.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

from headway.errors import StoreError
from headway.execution import utcnow
from headway.store.migration_files import Migration, migration_files
from headway.store.sqlite.connection import transaction
from headway.store.sqlite.rows import ts

CREATE_SCHEMA_MIGRATIONS = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied TEXT NOT NULL
)"""
APPLIED_VERSIONS = "SELECT version FROM schema_migrations ORDER BY version"
IS_APPLIED = "SELECT 1 FROM schema_migrations WHERE version = ?"
RECORD = "INSERT INTO schema_migrations (version, name, applied) VALUES (?, ?, ?)"


def available() -> list[Migration]:
    """The migrations shipped with Headway, by version."""
    return migration_files(__package__ or "", "SQLite")


def statements(sql: str) -> Iterator[str]:
    """The statements of a script, each ending with its ';' (comments and strings kept)."""
    buffer = ""
    for piece in sql.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            if _has_code(buffer):
                yield buffer.strip()
            buffer = ""
    if _has_code(buffer.removesuffix(";")):
        raise StoreError(f"incomplete SQL statement at the end of a migration: {buffer[:80]!r}")


def _has_code(text: str) -> bool:
    lines = (line.split("--", 1)[0].strip() for line in text.splitlines())
    return any(line and line != ";" for line in lines)


def migrate(conn: sqlite3.Connection) -> None:
    """Apply every pending migration, each in its own transaction."""
    conn.execute(CREATE_SCHEMA_MIGRATIONS)
    applied = {row[0] for row in conn.execute(APPLIED_VERSIONS)}
    known = available()
    newest = known[-1].version if known else 0
    if applied and max(applied) > newest:
        raise StoreError(
            f"the database schema is at version {max(applied)}, newer than this Headway "
            f"knows ({newest}): upgrade Headway"
        )
    for migration in known:
        if migration.version not in applied:
            _apply(conn, migration)


def _apply(conn: sqlite3.Connection, migration: Migration) -> None:
    with transaction(conn):
        if conn.execute(IS_APPLIED, (migration.version,)).fetchone() is not None:
            return  # another process applied it meanwhile
        for statement in statements(migration.sql):
            try:
                conn.execute(statement)
            except sqlite3.Error as exc:
                raise StoreError(
                    f"SQLite migration {migration.version:04d}_{migration.name} failed: {exc}"
                ) from exc
        conn.execute(RECORD, (migration.version, migration.name, ts(utcnow())))
