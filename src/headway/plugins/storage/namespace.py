"""UploadFiles, DownloadFiles and DeleteFiles: the namespace files of the flow's namespace,
from a flow (``io.kestra.plugin.core.namespace.*``).

Paths may start with ``/`` (``/scripts/etl.py`` is ``scripts/etl.py``). Globs are Kestra's
(Java ``glob:``): ``*`` within a directory, ``**`` across them, matched against a file's path
from the namespace's root. Only the flow's own namespace can be reached here.
"""

from __future__ import annotations

from typing import Literal

from headway.errors import TaskFailure
from headway.flows.tasks import Dynamic
from headway.plugins.base import NamespaceFilesAccess, Outputs, RunContext, RunnableTask
from headway.plugins.core.rendered import rendered
from headway.runners.globs import matches
from headway.storage.uris import SCHEME


class _NamespaceTask(RunnableTask):
    namespace: str | None = None

    def tree(self, ctx: RunContext) -> NamespaceFilesAccess:
        namespace = self.namespace or ctx.namespace
        if namespace != ctx.namespace:
            raise TaskFailure(
                f"namespace '{namespace}': a flow of '{ctx.namespace}' may only reach the "
                "namespace files of its own namespace",
                retryable=False,
            )
        return ctx.storage.namespace_files


def _join(directory: str, name: str) -> str:
    return "/".join(part.strip("/") for part in (directory, name) if part.strip("/"))


def matching(paths: list[str], patterns: list[str]) -> list[str]:
    """The paths matching any of the globs (a leading ``/`` of a glob is ignored)."""
    globs = [pattern.lstrip("/") for pattern in patterns]
    return [path for path in paths if any(matches(glob, path) for glob in globs)]


class UploadFiles(_NamespaceTask):
    """Write namespace files. ``filesMap`` maps each destination path (under
    ``destination``, default the root) to a ``kestra:///`` URI of a file to copy, or to the
    text to write. ``conflict`` says what to do when a file exists: ``OVERWRITE`` (the
    default), ``SKIP`` it, or ``ERROR``. Output ``files``: the paths written."""

    type_name = "namespace.upload-files"
    aliases = ("io.kestra.plugin.core.namespace.UploadFiles",)

    files_map: Dynamic[dict[str, str]]
    destination: str = "/"
    conflict: Literal["OVERWRITE", "SKIP", "ERROR"] = "OVERWRITE"

    async def run(self, ctx: RunContext) -> Outputs | None:
        tree = self.tree(ctx)
        written: list[str] = []
        for name, source in rendered(self.files_map, dict, "filesMap").items():
            path = _join(self.destination, str(name))
            if self.conflict != "OVERWRITE" and await tree.exists(path):
                if self.conflict == "ERROR":
                    raise TaskFailure(
                        f"namespace file '{path}' already exists (conflict: ERROR)",
                        retryable=False,
                    )
                ctx.log("DEBUG", f"namespace file '{path}' exists, skipped")
                continue
            text = str(source)
            data = await ctx.storage.read(text) if text.startswith(SCHEME) else text.encode()
            await tree.write(path, data)
            written.append(path)
        ctx.log("INFO", f"uploaded {len(written)} namespace file(s)")
        return {"files": written}


class DownloadFiles(_NamespaceTask):
    """Copy the namespace files matching the globs ``files`` to files of this TaskRun
    (under ``destination``); output ``files``: each path -> its ``kestra:///`` URI."""

    type_name = "namespace.download-files"
    aliases = ("io.kestra.plugin.core.namespace.DownloadFiles",)

    files: Dynamic[list[str]]
    destination: str = ""

    async def run(self, ctx: RunContext) -> Outputs | None:
        tree = self.tree(ctx)
        patterns = [str(p) for p in rendered(self.files, list, "files")]
        out: dict[str, str] = {}
        for path in matching(await tree.paths(), patterns):
            out[path] = await ctx.storage.put_file(
                _join(self.destination, path), await tree.read(path)
            )
        return {"files": out}


class DeleteFiles(_NamespaceTask):
    """Delete the namespace files matching the globs ``files``; output ``files``: the paths
    deleted. With ``errorOnMissing: true``, no match fails the task. ``deleteParentFolder``
    is accepted and changes nothing: a directory exists through its files only, so one left
    empty is gone."""

    type_name = "namespace.delete-files"
    aliases = ("io.kestra.plugin.core.namespace.DeleteFiles",)

    files: Dynamic[list[str]]
    error_on_missing: bool = False
    delete_parent_folder: bool = False

    async def run(self, ctx: RunContext) -> Outputs | None:
        tree = self.tree(ctx)
        patterns = [str(p) for p in rendered(self.files, list, "files")]
        found = matching(await tree.paths(), patterns)
        if not found and self.error_on_missing:
            raise TaskFailure(
                f"no namespace file matches {patterns} (errorOnMissing is true)", retryable=False
            )
        for path in found:
            await tree.delete(path)
        return {"files": found}
