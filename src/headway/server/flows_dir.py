"""``headway server --flows DIR``: the directory's flows applied at start and on change,
and the namespace files under ``DIR/_files/{namespace}/`` likewise."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from headway.errors import FlowInvalidError
from headway.flows.tasks import TaskTypes
from headway.server import gitops
from headway.server.namespace_files import apply_files, read_directory
from headway.storage import NamespaceFileTree, Storage, StorageError
from headway.store.base import Store

log = logging.getLogger("headway.server")

FLOW_SUFFIXES = (".yaml", ".yml")
# DIR/_files/{namespace}/...: namespace files, not flows.
FILES_DIR = "_files"
Snapshot = dict[Path, tuple[int, int]]


def snapshot(directory: Path) -> Snapshot:
    """Each file's modification time and size: what tells that the directory changed."""
    out: Snapshot = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            stat = path.stat()
            out[path] = (stat.st_mtime_ns, stat.st_size)
    return out


def flow_paths(directory: Path) -> list[Path]:
    files = directory / FILES_DIR
    return [
        path
        for path in sorted(directory.rglob("*"))
        if path.suffix in FLOW_SUFFIXES and path.is_file() and not path.is_relative_to(files)
    ]


def read_sources(directory: Path) -> list[gitops.FlowSource]:
    return [
        gitops.FlowSource(path.read_text(encoding="utf-8"), str(path))
        for path in flow_paths(directory)
    ]


class FlowsDirectory:
    """Keeps the store in step with a directory of flow files (without deleting flows whose
    file went away: ``headway flows apply --prune`` does that)."""

    def __init__(
        self, directory: Path, store: Store, storage: Storage, tenant: str, task_types: TaskTypes
    ) -> None:
        self.directory = directory
        self.store = store
        self.storage = storage
        self.tenant = tenant
        self.task_types = task_types
        self._seen: Snapshot = {}

    async def apply(self) -> list[gitops.FlowChange]:
        """Apply every flow of the directory; raise FlowInvalidError (nothing applied) if
        any is invalid."""
        self._seen = snapshot(self.directory)
        changes = gitops.plan(
            read_sources(self.directory),
            await self.store.list_flows(self.tenant),
            task_types=self.task_types,
        )
        done = await gitops.apply(self.store, self.tenant, changes)
        for change in done:
            if change.action != "unchanged":
                log.info("flow %s.%s: %sd", change.namespace, change.id, change.action)
        files = self.directory / FILES_DIR
        if files.is_dir():
            for namespace_dir in sorted(p for p in files.iterdir() if p.is_dir()):
                tree = NamespaceFileTree(self.storage, self.tenant, namespace_dir.name)
                for file_change in await apply_files(tree, read_directory(namespace_dir)):
                    if file_change.action != "unchanged":
                        log.info(
                            "namespace file %s/%s: %sd",
                            namespace_dir.name,
                            file_change.path,
                            file_change.action,
                        )
        return done

    async def watch(self, stop: asyncio.Event, interval: float = 1.0) -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)
            if stop.is_set() or snapshot(self.directory) == self._seen:
                continue
            try:
                await self.apply()
            except FlowInvalidError as exc:
                log.error("flows in %s not applied:\n%s", self.directory, exc.message)
            except (OSError, UnicodeDecodeError, StorageError) as exc:
                log.error("flows in %s not applied: %s", self.directory, exc)
