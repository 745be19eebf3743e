"""Fixtures shared by every test directory (defined in postgres_db.py)."""

from postgres_db import postgres_database

__all__ = ["postgres_database"]
