"""The versioned SQL migration files a store package ships: ``migrations/NNNN_name.sql``."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from headway.errors import StoreError

_FILE_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migration_files(package: str, database: str) -> list[Migration]:
    """The migrations in ``package``'s ``migrations`` folder, by version; two files of one
    version are an error naming the ``database``."""
    found: dict[int, Migration] = {}
    for entry in (resources.files(package) / "migrations").iterdir():
        match = _FILE_NAME.match(entry.name)
        if match is None:
            continue
        version = int(match.group(1))
        if version in found:
            raise StoreError(f"two {database} migrations have version {version}")
        found[version] = Migration(version, match.group(2), entry.read_text(encoding="utf-8"))
    return [found[v] for v in sorted(found)]
