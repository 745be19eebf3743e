"""Split (a file into several, by rows, bytes, partitions or a pattern) and Reverse (a file,
last line first). Lines are read as Java's ``readLine`` reads them (``\\n``, ``\\r\\n`` or
``\\r`` ends a line) and written each followed by ``separator`` (default ``\\n``), as Kestra
does."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import IO

from pydantic import Field, model_validator

from headway.errors import TaskFailure
from headway.flows.tasks import Dynamic
from headway.plugins.base import Outputs, RunContext, RunnableTask
from headway.plugins.core.rendered import rendered
from headway.plugins.storage.files import (
    ENCODING,
    ERRORS,
    extension_of,
    fetch,
    open_text,
    parse_size,
    read_lines,
    scratch,
)

# The path of the n-th part; whether a part is full given its bytes and its lines.
Namer = Callable[[int], Path]
Full = Callable[[int, int], bool]


class Split(RunnableTask):
    """Split a file of internal storage into several; output their ``uris``, in order.

    Exactly one of: ``rows`` (lines per file), ``bytes`` (a new file is started once one
    holds that many bytes: ``10MB``, ``200KB``, or a number), ``partitions`` (that many
    files, lines dealt in turn; empty ones left out) or ``regexPattern`` (one file per value
    of the pattern's first group, in order of first appearance; lines that do not match are
    left out). The files keep the extension of ``from``.
    """

    type_name = "storage.split"
    aliases = ("io.kestra.plugin.core.storage.Split", "io.kestra.core.tasks.storages.Split")

    from_: str = Field(alias="from")
    rows: Dynamic[int] | None = None
    bytes: Dynamic[int | str] | None = None
    partitions: Dynamic[int] | None = None
    regex_pattern: str | None = None
    separator: str = "\n"

    @model_validator(mode="after")
    def _one_way(self) -> Split:
        given = [
            name
            for name, value in (
                ("rows", self.rows),
                ("bytes", self.bytes),
                ("partitions", self.partitions),
                ("regexPattern", self.regex_pattern),
            )
            if value is not None
        ]
        if len(given) != 1:
            shown = ", ".join(given) if given else "none"
            raise ValueError(
                f"give exactly one of rows, bytes, partitions or regexPattern (got {shown})"
            )
        return self

    async def run(self, ctx: RunContext) -> Outputs | None:
        async with scratch() as tmp:
            source = await fetch(ctx, self.from_, "from", tmp, "source")
            out = tmp / "out"
            out.mkdir()
            parts = await asyncio.to_thread(self._split, source, out, extension_of(self.from_))
            uris = [await ctx.storage.put_file(part.name, part) for part in parts]
        ctx.log("DEBUG", f"split {self.from_} into {len(uris)} file(s)")
        return {"uris": uris}

    def _split(self, source: Path, out: Path, extension: str) -> list[Path]:
        def name(index: int) -> Path:
            return out / f"{self.id}-{index}{extension}"

        if self.rows is not None:
            rows = _positive(rendered(self.rows, int, "rows"), "rows")
            return _chunks(source, name, self.separator, lambda size, count: count >= rows)
        if self.bytes is not None:
            limit = parse_size(self.bytes, "bytes")
            return _chunks(source, name, self.separator, lambda size, count: size >= limit)
        if self.partitions is not None:
            partitions = _positive(rendered(self.partitions, int, "partitions"), "partitions")
            return _partitions(source, name, self.separator, partitions)
        assert self.regex_pattern is not None
        try:
            pattern = re.compile(self.regex_pattern)
        except re.error as exc:
            raise TaskFailure(f"property 'regexPattern': {exc}", retryable=False) from None
        if pattern.groups < 1:
            raise TaskFailure(
                "property 'regexPattern' needs a capture group: lines are grouped by its value",
                retryable=False,
            )
        return _by_pattern(source, name, self.separator, pattern)


def _positive(value: int, prop: str) -> int:
    if value <= 0:
        raise TaskFailure(f"property '{prop}' must be positive, got {value}", retryable=False)
    return value


def _chunks(source: Path, name: Namer, separator: str, full: Full) -> list[Path]:
    files: list[Path] = []
    out: IO[str] | None = None
    size = count = 0
    with open_text(source) as src:
        try:
            for line in read_lines(src):
                if out is None or full(size, count):
                    if out is not None:
                        out.close()
                    files.append(name(len(files)))
                    out = open_text(files[-1], "w")
                    size = count = 0
                text = line + separator
                out.write(text)
                size += len(text.encode(ENCODING, ERRORS))
                count += 1
        finally:
            if out is not None:
                out.close()
    return files


def _partitions(source: Path, name: Namer, separator: str, partitions: int) -> list[Path]:
    files: list[Path] = [name(i) for i in range(partitions)]
    with ExitStack() as stack, open_text(source) as src:
        outs = [stack.enter_context(open_text(path, "w")) for path in files]
        for i, line in enumerate(read_lines(src)):
            outs[i % partitions].write(line + separator)
    return [path for path in files if path.stat().st_size > 0]


def _by_pattern(source: Path, name: Namer, separator: str, pattern: re.Pattern[str]) -> list[Path]:
    files: list[Path] = []
    with ExitStack() as stack, open_text(source) as src:
        outs: dict[str, IO[str]] = {}
        for line in read_lines(src):
            match = pattern.search(line)
            if match is None or match.group(1) is None:
                continue
            key = match.group(1)
            if key not in outs:
                files.append(name(len(files)))
                outs[key] = stack.enter_context(open_text(files[-1], "w"))
            outs[key].write(line + separator)
    return files


class Reverse(RunnableTask):
    """Reverse a file of internal storage, last line first; output the new file's ``uri``
    (each line followed by ``separator``, default ``\\n``)."""

    type_name = "storage.reverse"
    aliases = ("io.kestra.plugin.core.storage.Reverse", "io.kestra.core.tasks.storages.Reverse")

    from_: str = Field(alias="from")
    separator: str = "\n"
    charset: str = "UTF-8"

    async def run(self, ctx: RunContext) -> Outputs | None:
        if self.charset.replace("-", "").lower() != "utf8":
            raise TaskFailure(
                f"property 'charset': only UTF-8 is supported (got {self.charset})",
                retryable=False,
            )
        async with scratch() as tmp:
            source = await fetch(ctx, self.from_, "from", tmp, "source")
            target = tmp / f"{self.id}{extension_of(self.from_)}"
            await asyncio.to_thread(_reverse, source, target, self.separator)
            return {"uri": await ctx.storage.put_file(target.name, target)}


def _reverse(source: Path, target: Path, separator: str) -> None:
    with open_text(source) as src:
        lines = list(read_lines(src))
    with open_text(target, "w") as out:
        for line in reversed(lines):
            out.write(line + separator)
