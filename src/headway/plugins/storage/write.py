"""Write (text to a new file) and Concat (files joined into one)."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path

from headway.errors import TaskFailure
from headway.flows.tasks import Dynamic
from headway.plugins.base import Outputs, RunContext, RunnableTask
from headway.plugins.core.rendered import rendered
from headway.plugins.storage.files import checked_uri, fetch, scratch


def _extension(value: str | None, default: str) -> str:
    """An extension as given (``.txt``; ``txt`` gets its dot); ``default`` when unset."""
    if not value:
        return default
    return value if value.startswith(".") else f".{value}"


class Write(RunnableTask):
    """Write ``content`` (text, UTF-8) to a new file of internal storage; output its ``uri``.
    The file is named after the task, with ``extension`` (default ``.tmp``)."""

    type_name = "storage.write"
    aliases = ("io.kestra.plugin.core.storage.Write",)

    content: str
    extension: str | None = None

    async def run(self, ctx: RunContext) -> Outputs | None:
        name = f"{self.id}{_extension(self.extension, '.tmp')}"
        return {"uri": await ctx.storage.put_file(name, self.content.encode())}


class Concat(RunnableTask):
    """Concatenate files of internal storage, in order, into a new file; output its ``uri``.

    ``files`` is a list of ``kestra:///`` URIs (or the JSON text of one, as an expression
    gives it). ``separator`` is written after each file (none by default); ``extension``
    (default ``.tmp``) names the new file.
    """

    type_name = "storage.concat"
    aliases = ("io.kestra.plugin.core.storage.Concat", "io.kestra.core.tasks.storages.Concat")

    files: Dynamic[list[str]]
    separator: str | None = None
    extension: str | None = None

    async def run(self, ctx: RunContext) -> Outputs | None:
        files = rendered(self.files, list, "files")
        if not files:
            raise TaskFailure("property 'files': no file to concatenate", retryable=False)
        uris = [checked_uri(str(uri), f"files[{i}]") for i, uri in enumerate(files)]
        separator = (self.separator or "").encode()
        async with scratch() as tmp:
            target = tmp / f"{self.id}{_extension(self.extension, '.tmp')}"
            target.touch()
            for i, uri in enumerate(uris):
                part = await fetch(ctx, uri, f"files[{i}]", tmp, f"part-{i}")
                await asyncio.to_thread(_append, target, part, separator)
                part.unlink()
            return {"uri": await ctx.storage.put_file(target.name, target)}


def _append(target: Path, part: Path, separator: bytes) -> None:
    with target.open("ab") as out, part.open("rb") as src:
        shutil.copyfileobj(src, out)
        out.write(separator)
