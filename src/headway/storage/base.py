"""The internal storage interface: files addressed by ``kestra:///`` URIs, per tenant.

Backends implement :class:`Storage` (a local directory in :mod:`.local`, an S3-compatible
bucket in :mod:`.s3`). Every method takes the tenant first, as Kestra's ``StorageInterface``
does, so one backend serves every tenant under its own root. Directories are implied by the
files under them (as in S3): there are no empty directories.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

# How much :meth:`Storage.open` reads at a time (bytes).
CHUNK_SIZE = 1 << 20


class Storage(ABC):
    """Files of internal storage. Missing files raise
    :class:`~headway.storage.uris.FileNotFoundInStorage`; bad URIs
    :class:`~headway.storage.uris.StorageError`."""

    @abstractmethod
    async def put(self, tenant: str, uri: str, source: bytes | Path) -> int:
        """Store ``source`` (bytes, or a local file copied) at ``uri``, replacing what was
        there, all at once (a reader never sees half a file); return its size."""

    @abstractmethod
    async def get(self, tenant: str, uri: str) -> bytes:
        """The whole content of a file."""

    @abstractmethod
    def open(self, tenant: str, uri: str) -> AsyncIterator[bytes]:
        """The content of a file in chunks (for files too big to hold in memory)."""

    @abstractmethod
    async def download(self, tenant: str, uri: str, target: Path) -> int:
        """Copy a file to the local path ``target`` (parents created); return its size."""

    @abstractmethod
    async def size(self, tenant: str, uri: str) -> int: ...

    @abstractmethod
    async def stat(self, tenant: str, uri: str) -> FileInfo:
        """A file's size and last modification."""

    @abstractmethod
    async def exists(self, tenant: str, uri: str) -> bool: ...

    @abstractmethod
    async def delete(self, tenant: str, uri: str) -> bool:
        """Delete a file; False when there was none."""

    async def list(self, tenant: str, prefix: str) -> list[str]:
        """The URIs of every file under ``prefix`` (a ``kestra:///`` directory), sorted."""
        return [info.uri for info in await self.list_files(tenant, prefix)]

    @abstractmethod
    async def list_files(self, tenant: str, prefix: str) -> builtins.list[FileInfo]:
        """Every file under ``prefix`` (a ``kestra:///`` directory) with its size and last
        modification, sorted by URI."""

    @abstractmethod
    async def delete_prefix(self, tenant: str, prefix: str) -> int:
        """Delete every file under ``prefix``; return how many."""


@dataclass(frozen=True)
class FileInfo:
    """A file of internal storage as a listing shows it."""

    uri: str
    size: int
    modified: datetime


@dataclass(frozen=True)
class FileUpload:
    """The content of a FILE input given as bytes (an upload), with its file name."""

    name: str
    data: bytes
