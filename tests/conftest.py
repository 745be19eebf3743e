"""Fixtures shared by every test directory (defined in postgres_db.py and engine_cluster.py)."""

from engine_cluster import cluster
from postgres_db import postgres_database

__all__ = ["cluster", "postgres_database"]
