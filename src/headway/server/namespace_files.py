"""Namespace files applied from a directory, as flows are (GitOps): plan, then apply."""

from __future__ import annotations

from pathlib import Path

from headway.server.gitops import FileChange, plan_files
from headway.storage import NamespaceFileTree


def read_directory(directory: Path) -> dict[str, bytes]:
    """Every file under ``directory`` by its path relative to it (``a/b.py``)."""
    out: dict[str, bytes] = {}
    for path in sorted(directory.rglob("*")):
        if path.is_file():
            out[path.relative_to(directory).as_posix()] = path.read_bytes()
    return out


async def stored_files(tree: NamespaceFileTree) -> dict[str, bytes]:
    return {path: await tree.read(path) for path in await tree.paths()}


async def apply_files(
    tree: NamespaceFileTree,
    given: dict[str, bytes],
    *,
    prune: bool = False,
    dry_run: bool = False,
) -> list[FileChange]:
    """Make the namespace's files hold ``given``; return the changes (made, or with
    ``dry_run`` only planned)."""
    changes = plan_files(given, await stored_files(tree), prune=prune)
    if dry_run:
        return changes
    for change in changes:
        if change.action in ("create", "update"):
            await tree.write(change.path, given[change.path])
        elif change.action == "delete":
            await tree.delete(change.path)
    return changes
