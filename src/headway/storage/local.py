"""Internal storage in a local directory (the default: ``$HEADWAY_HOME/storage``).

``kestra:///company/team/f/executions/ID/...`` of tenant ``main`` is the file
``{root}/main/company/team/f/executions/ID/...``. Writes go to a temporary file renamed into
place, so a reader never sees half a file. Blocking file I/O runs in threads.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from headway.storage.base import CHUNK_SIZE, FileInfo, Storage
from headway.storage.uris import SCHEME, FileNotFoundInStorage, StorageError, segments

T = TypeVar("T")


class LocalStorage(Storage):
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_of(self, tenant: str, uri: str, *, what: str = "URI") -> Path:
        """The local path of a URI (or prefix), never outside the tenant's directory."""
        if tenant in ("", ".", "..") or "/" in tenant or "\\" in tenant:
            raise StorageError(f"invalid tenant {tenant!r}")
        return self.root.joinpath(tenant, *segments(uri, what=what))

    async def put(self, tenant: str, uri: str, source: bytes | Path) -> int:
        target = self.path_of(tenant, uri)
        return await _io(uri, lambda: _put(target, source))

    async def get(self, tenant: str, uri: str) -> bytes:
        path = self.path_of(tenant, uri)
        return await _io(uri, path.read_bytes)

    async def open(self, tenant: str, uri: str) -> AsyncIterator[bytes]:
        path = self.path_of(tenant, uri)
        handle = await _io(uri, lambda: path.open("rb"))
        try:
            while chunk := await asyncio.to_thread(handle.read, CHUNK_SIZE):
                yield chunk
        finally:
            handle.close()

    async def download(self, tenant: str, uri: str, target: Path) -> int:
        path = self.path_of(tenant, uri)

        def copy() -> int:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
            return target.stat().st_size

        return await _io(uri, copy)

    async def size(self, tenant: str, uri: str) -> int:
        path = self.path_of(tenant, uri)
        return await _io(uri, lambda: _regular(path).stat().st_size)

    async def stat(self, tenant: str, uri: str) -> FileInfo:
        path = self.path_of(tenant, uri)
        stat = await _io(uri, lambda: _regular(path).stat())
        return FileInfo(uri, stat.st_size, datetime.fromtimestamp(stat.st_mtime, UTC))

    async def exists(self, tenant: str, uri: str) -> bool:
        path = self.path_of(tenant, uri)
        return await _io(uri, path.is_file)  # a name too long is a StorageError

    async def delete(self, tenant: str, uri: str) -> bool:
        path = self.path_of(tenant, uri)

        def remove() -> bool:
            if path.is_dir():
                return False  # a directory is not a file
            try:
                path.unlink()
            except FileNotFoundError:
                return False
            return True

        return await _io(uri, remove)

    async def list_files(self, tenant: str, prefix: str) -> list[FileInfo]:
        base = self.path_of(tenant, prefix, what="prefix")
        tenant_root = self.root / tenant

        def walk() -> list[FileInfo]:
            found: list[FileInfo] = []
            for directory, _, files in os.walk(base):
                for name in files:
                    if name.startswith(".headway-"):
                        continue  # a write in progress
                    path = Path(directory) / name
                    try:
                        stat = path.stat()
                    except FileNotFoundError:
                        continue  # deleted meanwhile
                    uri = f"{SCHEME}/{path.relative_to(tenant_root).as_posix()}"
                    modified = datetime.fromtimestamp(stat.st_mtime, UTC)
                    found.append(FileInfo(uri, stat.st_size, modified))
            return sorted(found, key=lambda info: info.uri)

        return await asyncio.to_thread(walk)

    async def delete_prefix(self, tenant: str, prefix: str) -> int:
        found = await self.list(tenant, prefix)
        base = self.path_of(tenant, prefix, what="prefix")
        if base == self.root / tenant:
            raise StorageError("refusing to delete the whole storage of a tenant")
        await asyncio.to_thread(shutil.rmtree, base, ignore_errors=True)
        return len(found)


async def _io(uri: str, work: Callable[[], T]) -> T:
    """Run blocking file I/O in a thread; translate OS errors into storage errors."""
    try:
        return await asyncio.to_thread(work)
    except StorageError:
        raise
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise FileNotFoundInStorage(f"no file {uri} in internal storage") from None
    except OSError as exc:
        raise StorageError(f"{uri}: {exc.strerror or exc}") from exc
    except RecursionError:  # pathlib's mkdir(parents=True) recurses once per directory
        raise StorageError(f"{uri}: the path nests too deeply") from None


def _regular(path: Path) -> Path:
    if not path.is_file():
        raise FileNotFoundError(path)
    return path


def _put(target: Path, source: bytes | Path) -> int:
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".headway-", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            if isinstance(source, bytes):
                out.write(source)
            else:
                try:
                    src = source.open("rb")
                except OSError as exc:
                    raise StorageError(f"cannot read {source}: {exc.strerror or exc}") from exc
                with src:
                    shutil.copyfileobj(src, out, CHUNK_SIZE)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target.stat().st_size
