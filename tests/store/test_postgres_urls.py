"""Passwords of PostgreSQL URLs never reach a message (no database needed)."""

from __future__ import annotations

import pytest

from headway.store.postgres.connection import Database, redact, secrets_of


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            "postgresql://u:p%40ss@h:5/db?sslmode=require",
            "postgresql://u:****@h:5/db?sslmode=require",
        ),
        (
            "postgresql://u@h/db?password=s3cret&sslmode=require",
            "postgresql://u@h/db?password=****&sslmode=require",
        ),
        ("postgresql://h/db", "postgresql://h/db"),
        ("postgres://u@h/db", "postgres://u@h/db"),
    ],
)
def test_redact_masks_the_password(url: str, shown: str) -> None:
    assert redact(url) == shown


def test_errors_mask_the_password_as_written_and_decoded() -> None:
    database = Database("postgresql://u:p%40ss@h/db")
    assert secrets_of(database.url) == ["p%40ss", "p@ss"]
    message = str(database.error("connecting", OSError("bad password p@ss (p%40ss)")))
    assert "p@ss" not in message and "p%40ss" not in message
    assert message.startswith("PostgreSQL store 'postgresql://u:****@h/db': connecting failed:")
