"""What the storage tasks share: checked ``kestra:///`` URIs, local copies of files in a
temporary directory, and text read line by line as Kestra reads it."""

from __future__ import annotations

import re
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import IO

from headway.errors import TaskFailure
from headway.plugins.base import RunContext
from headway.storage.uris import SCHEME, StorageError

# The text of files is UTF-8; bytes that are not survive a read and a write unchanged.
ENCODING = "utf-8"
ERRORS = "surrogateescape"


def checked_uri(value: str, prop: str) -> str:
    """``value`` if it is a ``kestra:///`` URI, else a failure naming the property."""
    if not isinstance(value, str) or not value.startswith(SCHEME + "/"):
        raise TaskFailure(
            f"property '{prop}': {value!r} is not a kestra:/// URI of internal storage",
            retryable=False,
        )
    return value


def extension_of(uri: str, default: str = ".tmp") -> str:
    """The extension of a URI's file name (``.csv``), as Kestra keeps it for derived files."""
    name = uri.rsplit("/", 1)[-1]
    return name[name.rfind(".") :] if "." in name else default


@asynccontextmanager
async def scratch() -> AsyncIterator[Path]:
    """A temporary local directory, removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="headway-storage-") as tmp:
        yield Path(tmp)


async def fetch(ctx: RunContext, uri: str, prop: str, directory: Path, name: str) -> Path:
    """A local copy of the file at ``uri`` (of the property ``prop``), in ``directory``."""
    target = directory / name
    try:
        await ctx.storage.download(checked_uri(uri, prop), target)
    except StorageError as exc:
        raise TaskFailure(f"property '{prop}': {exc.message}") from None
    return target


def read_lines(handle: IO[str]) -> Iterator[str]:
    """The lines of a text file without their end (``\\n``, ``\\r\\n`` or ``\\r``), as
    Java's ``readLine`` gives them."""
    for line in handle:
        yield line[:-1] if line.endswith("\n") else line


def open_text(path: Path, mode: str = "r") -> IO[str]:
    """A text file opened with universal newlines on read, none added on write."""
    return path.open(mode, encoding=ENCODING, errors=ERRORS, newline=None if mode == "r" else "")


_SIZE = re.compile(r"^\s*(\d+)\s*([kmgt]?)i?b?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


def parse_size(value: str | int, prop: str) -> int:
    """A size such as ``10MB``, ``200KB`` or ``1024`` in bytes (units of 1024, as Kestra)."""
    if isinstance(value, int):
        size = value
    else:
        match = _SIZE.match(value)
        if match is None:
            raise TaskFailure(
                f"property '{prop}': invalid size {value!r} (expected a number of bytes, "
                "or a size such as 200KB or 10MB)",
                retryable=False,
            )
        size = int(match.group(1)) * _UNITS[match.group(2).lower()]
    if size <= 0:
        raise TaskFailure(f"property '{prop}': the size must be positive", retryable=False)
    return size
