"""``namespaceFiles`` of script tasks: the namespace files of the flow's namespace copied
into the working directory before the command runs (before ``inputFiles``, which may
replace them), as Kestra does.

``include`` and ``exclude`` are globs (Kestra's: ``*`` within a directory, ``**`` across
them; a leading ``/`` is ignored) over each file's path from the namespace's root; without
``include`` every file is copied. ``folderPerNamespace: true`` puts them under a directory
named after the namespace. ``namespaces`` may only name the flow's own namespace here.
"""

from __future__ import annotations

from typing import Literal

from headway.errors import TaskFailure
from headway.flows.tasks import Dynamic, Model
from headway.plugins.base import RunContext
from headway.plugins.core.rendered import rendered
from headway.runners.base import Workspace
from headway.runners.globs import matches


class NamespaceFilesSpec(Model):
    """The ``namespaceFiles`` property."""

    enabled: Dynamic[bool] = True
    include: list[str] | None = None
    exclude: list[str] | None = None
    if_exists: Literal["OVERWRITE", "FAIL", "WARN", "IGNORE"] = "OVERWRITE"
    folder_per_namespace: bool = False
    namespaces: list[str] | None = None

    def is_enabled(self) -> bool:
        return rendered(self.enabled, bool, "namespaceFiles.enabled")

    def selected(self, paths: list[str]) -> list[str]:
        include = [glob.lstrip("/") for glob in self.include or []]
        exclude = [glob.lstrip("/") for glob in self.exclude or []]
        return [
            path
            for path in paths
            if (not include or any(matches(glob, path) for glob in include))
            and not any(matches(glob, path) for glob in exclude)
        ]


async def copy_namespace_files(
    ctx: RunContext, spec: NamespaceFilesSpec, workspace: Workspace
) -> list[str]:
    """Copy the selected namespace files into the working directory; return their names
    there."""
    others = [ns for ns in spec.namespaces or [] if ns != ctx.namespace]
    if others:
        raise TaskFailure(
            f"namespaceFiles.namespaces: a flow of '{ctx.namespace}' may only use the "
            f"namespace files of its own namespace (got {', '.join(others)})",
            retryable=False,
        )
    tree = ctx.storage.namespace_files
    copied: list[str] = []
    for path in spec.selected(await tree.paths()):
        name = f"{ctx.namespace}/{path}" if spec.folder_per_namespace else path
        await workspace.write(name, await tree.read(path))
        copied.append(name)
    ctx.log("DEBUG", f"copied {len(copied)} namespace file(s) into the working directory")
    return copied
