"""A PostgreSQL database of the test session, and the rule for tests whose service is missing.

Imported by name (``from postgres_db import ...``): ``conftest`` is not a name a test module
can import reliably, as several directories have one.

PostgreSQL is found at ``HEADWAY_TEST_POSTGRES_URL`` (default: the local server, user
postgres, trust authentication). Tests that need it skip when it cannot be reached, and fail
instead when ``HEADWAY_REQUIRE_SERVICES=1`` (as ``.ci/run`` sets).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
from psycopg import sql

DEFAULT_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def require_service(reason: str) -> None:
    """Skip (or, with HEADWAY_REQUIRE_SERVICES=1, fail) a test whose service is missing."""
    if os.environ.get("HEADWAY_REQUIRE_SERVICES") == "1":
        pytest.fail(reason + " (HEADWAY_REQUIRE_SERVICES=1)")
    pytest.skip(reason)


def with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


@dataclass(frozen=True)
class PostgresDatabase:
    """A database made for this test session (dropped at its end)."""

    admin_url: str
    name: str

    @property
    def url(self) -> str:
        return with_database(self.admin_url, self.name)

    def connect(self) -> psycopg.Connection[tuple[object, ...]]:
        return psycopg.connect(self.url, autocommit=True, connect_timeout=5)

    def truncate(self) -> None:
        """Empty every table of Headway (the schema and its version stay). DELETE rather
        than TRUNCATE: on tables this small it is many times faster."""
        with self.connect() as conn, conn.transaction():
            tables = [
                name
                for (name,) in conn.execute(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                    " AND tablename <> 'schema_migrations'"
                )
            ]
            for table in tables:
                conn.execute(sql.SQL("DELETE FROM {}").format(sql.Identifier(table)))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase]:
    """A new, empty database on the PostgreSQL server, for the whole session."""
    admin_url = os.environ.get("HEADWAY_TEST_POSTGRES_URL", DEFAULT_ADMIN_URL)
    try:
        admin = psycopg.connect(admin_url, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        require_service(f"PostgreSQL is not reachable ({exc})".strip())
        raise  # not reached: require_service raises
    name = f"headway_test_{os.getpid()}_{secrets.token_hex(4)}"
    with admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield PostgresDatabase(admin_url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True, connect_timeout=3) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
