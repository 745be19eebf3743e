"""Internal storage as one TaskRun sees it (``ctx.storage``): it writes files of its own
TaskRun, and reads files of its own namespace only -- a URI of another namespace is refused,
so a flow cannot read what another team's flows stored. The namespace files it reaches are
those of its own namespace (``namespace_files``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from headway.storage.base import Storage
from headway.storage.namespace_files import NamespaceFileTree
from headway.storage.uris import StorageError, execution_prefix, namespace_of, task_file_uri


class NamespaceFiles:
    """Read access to the files of one tenant's namespace."""

    def __init__(self, storage: Storage, tenant: str, namespace: str) -> None:
        self.storage = storage
        self.tenant = tenant
        self.namespace = namespace

    def check(self, uri: str) -> str:
        """``uri``, if it is a file of this namespace; a :class:`StorageError` otherwise."""
        namespace = namespace_of(uri)
        if namespace != self.namespace:
            raise StorageError(
                f"{uri} belongs to namespace '{namespace}': a flow of "
                f"'{self.namespace}' may only read files of its own namespace"
            )
        return uri

    @property
    def namespace_files(self) -> NamespaceFileTree:
        """The namespace files of this namespace."""
        return NamespaceFileTree(self.storage, self.tenant, self.namespace)

    async def read(self, uri: str) -> bytes:
        return await self.storage.get(self.tenant, self.check(uri))

    async def download(self, uri: str, target: Path) -> int:
        return await self.storage.download(self.tenant, self.check(uri), target)

    async def size(self, uri: str) -> int:
        return await self.storage.size(self.tenant, self.check(uri))

    async def exists(self, uri: str) -> bool:
        return await self.storage.exists(self.tenant, self.check(uri))

    def open(self, uri: str) -> AsyncIterator[bytes]:
        return self.storage.open(self.tenant, self.check(uri))

    async def delete(self, uri: str) -> bool:
        """Delete a file of this namespace; False when there was none."""
        return await self.storage.delete(self.tenant, self.check(uri))


class TaskRunFiles(NamespaceFiles):
    """What a runnable task may do with internal storage (``RunContext.storage``)."""

    def __init__(
        self,
        storage: Storage,
        tenant: str,
        namespace: str,
        *,
        flow_id: str,
        execution_id: str,
        task_id: str,
        task_run_id: str,
    ) -> None:
        super().__init__(storage, tenant, namespace)
        self._flow_id = flow_id
        self._execution_id = execution_id
        self._task_id = task_id
        self._task_run_id = task_run_id

    def uri_for(self, name: str) -> str:
        """Where ``put_file(name, ...)`` stores its file."""
        return task_file_uri(
            self.namespace,
            self._flow_id,
            self._execution_id,
            self._task_id,
            self._task_run_id,
            name,
        )

    async def put_file(self, name: str, source: bytes | Path) -> str:
        """Store an output file of this TaskRun; return its ``kestra:///`` URI."""
        uri = self.uri_for(name)
        await self.storage.put(self.tenant, uri, source)
        return uri

    async def purge_execution(self) -> list[str]:
        """Delete every file of this execution (its inputs' and its tasks'); return their
        URIs."""
        prefix = execution_prefix(self.namespace, self._flow_id, self._execution_id)
        found = await self.storage.list(self.tenant, prefix)
        await self.storage.delete_prefix(self.tenant, prefix)
        return found
