"""Namespace files: a directory tree per namespace, kept in internal storage under
``kestra:///{namespace as path}/_files/`` as Kestra keeps them.

Paths are relative to the namespace's root; a leading ``/`` is accepted (``/scripts/a.py``
is ``scripts/a.py``), ``..`` is refused. Directories are implied by the files under them
(as in S3): listing a directory shows its files and its sub-directories, and a directory is
deleted with everything under it. This is the API the REST routes and the tasks call.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from headway.storage.base import FileInfo, Storage
from headway.storage.uris import (
    FileNotFoundInStorage,
    StorageError,
    checked_namespace,
    namespace_file_path,
    namespace_file_uri,
    namespace_files_prefix,
)

EntryType = Literal["File", "Directory"]


@dataclass(frozen=True)
class NamespaceEntry:
    """A file or a directory of a namespace, as a listing shows it (``path`` relative to
    the namespace's root, without a leading ``/``)."""

    path: str
    type: EntryType
    size: int
    modified: datetime | None

    @property
    def name(self) -> str:
        return self.path.rsplit("/", 1)[-1]


class NamespaceFileTree:
    """The namespace files of one tenant's namespace."""

    def __init__(self, storage: Storage, tenant: str, namespace: str) -> None:
        self.storage = storage
        self.tenant = tenant
        self.namespace = checked_namespace(namespace)
        self.prefix = namespace_files_prefix(namespace)

    def uri(self, path: str) -> str:
        """The ``kestra:///`` URI of the file at ``path``."""
        return namespace_file_uri(self.namespace, path)

    def _missing(self, path: str) -> FileNotFoundInStorage:
        return FileNotFoundInStorage(
            f"no namespace file '{namespace_file_path(path)}' in namespace '{self.namespace}'"
        )

    async def read(self, path: str) -> bytes:
        try:
            return await self.storage.get(self.tenant, self.uri(path))
        except FileNotFoundInStorage:
            raise self._missing(path) from None

    async def download(self, path: str, target: Path) -> int:
        """Copy the file at ``path`` to the local path ``target``; return its size."""
        try:
            return await self.storage.download(self.tenant, self.uri(path), target)
        except FileNotFoundInStorage:
            raise self._missing(path) from None

    async def write(self, path: str, source: bytes | Path) -> int:
        """Create or replace the file at ``path``; return its size. A file cannot be
        written where a directory is, nor under a file."""
        relative = namespace_file_path(path)
        if not relative:
            raise StorageError("a namespace file needs a path (got the root '/')")
        if await self._is_directory(relative):
            raise StorageError(
                f"'{relative}' is a directory of namespace '{self.namespace}', not a file"
            )
        parts = relative.split("/")
        for i in range(1, len(parts)):
            parent = "/".join(parts[:i])
            if await self.storage.exists(self.tenant, self.uri(parent)):
                raise StorageError(
                    f"cannot write '{relative}': '{parent}' is a file of namespace "
                    f"'{self.namespace}'"
                )
        return await self.storage.put(self.tenant, self.uri(relative), source)

    async def exists(self, path: str) -> bool:
        """Whether ``path`` is a file."""
        return await self.storage.exists(self.tenant, self.uri(path))

    async def size(self, path: str) -> int:
        try:
            return await self.storage.size(self.tenant, self.uri(path))
        except FileNotFoundInStorage:
            raise self._missing(path) from None

    async def files(self, path: str = "") -> list[NamespaceEntry]:
        """Every file under the directory ``path`` (all of them by default), at any depth."""
        return [self._entry(info) for info in await self._under(namespace_file_path(path))]

    async def paths(self) -> list[str]:
        """The path of every file of the namespace, sorted."""
        return [entry.path for entry in await self.files()]

    async def list(self, path: str = "") -> list[NamespaceEntry]:
        """The files and sub-directories directly in the directory ``path`` (the root by
        default), directories first, then by name. A directory that does not exist is an
        error (the root always exists)."""
        relative = namespace_file_path(path)
        infos = await self._under(relative)
        if relative and not infos:
            if await self.exists(relative):
                raise StorageError(
                    f"'{relative}' is a file of namespace '{self.namespace}', not a directory"
                )
            raise FileNotFoundInStorage(
                f"no directory '{relative}' in the namespace files of '{self.namespace}'"
            )
        base = f"{relative}/" if relative else ""
        files: list[NamespaceEntry] = []
        directories: dict[str, NamespaceEntry] = {}
        for info in infos:
            entry = self._entry(info)
            rest = entry.path[len(base) :]
            if "/" not in rest:
                files.append(entry)
                continue
            name = base + rest.split("/", 1)[0]
            seen = directories.get(name)
            newest = entry.modified
            if seen is not None and seen.modified is not None and newest is not None:
                newest = max(seen.modified, newest)
            directories[name] = NamespaceEntry(name, "Directory", 0, newest)
        return sorted(directories.values(), key=lambda e: e.path) + sorted(
            files, key=lambda e: e.path
        )

    async def stats(self, path: str = "") -> NamespaceEntry:
        """The file or directory at ``path``; missing ones are a
        :class:`FileNotFoundInStorage`."""
        relative = namespace_file_path(path)
        if not relative:
            return NamespaceEntry("", "Directory", 0, None)
        uri = self.uri(relative)
        matches = [info for info in await self._under(relative) if info.uri != uri]
        if matches:
            newest = max(info.modified for info in matches)
            return NamespaceEntry(relative, "Directory", 0, newest)
        try:
            return self._entry(await self.storage.stat(self.tenant, uri))
        except FileNotFoundInStorage:
            raise self._missing(relative) from None

    async def delete(self, path: str) -> int:
        """Delete the file at ``path``, or the directory with everything under it; return
        how many files were deleted (0: nothing was there)."""
        relative = namespace_file_path(path)
        if relative and await self.storage.delete(self.tenant, self.uri(relative)):
            return 1
        if not relative:
            return await self.storage.delete_prefix(self.tenant, self.prefix)
        return await self.storage.delete_prefix(self.tenant, self.uri(relative) + "/")

    # --- helpers ---------------------------------------------------------------------------
    async def _under(self, relative: str) -> builtins.list[FileInfo]:
        prefix = self.prefix + (f"{relative}/" if relative else "")
        return await self.storage.list_files(self.tenant, prefix)

    async def _is_directory(self, relative: str) -> bool:
        return bool(await self._under(relative))

    def _entry(self, info: FileInfo) -> NamespaceEntry:
        return NamespaceEntry(info.uri[len(self.prefix) :], "File", info.size, info.modified)
