"""FilterItems and DeduplicateItems: files of items, one a line (JSON lines or Ion text, see
:mod:`headway.plugins.storage.item_format`), filtered or deduplicated with an expression
rendered for each item.

The expression sees the fields of the item as variables (``{{ amount > 10 }}`` for the item
``{"amount": 12}``) over the flow's own (``inputs``, ``outputs``...), as in Kestra: a field
named like one of them hides it. Kept lines are written unchanged. Items are rendered in a
thread, so functions that need I/O work in the expression too.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import Field

from headway import expressions
from headway.errors import ExpressionError, TaskFailure
from headway.expressions.values import to_text
from headway.plugins.base import Outputs, RunContext, RunnableTask
from headway.plugins.storage.files import extension_of, fetch, open_text, read_lines, scratch
from headway.plugins.storage.item_format import ItemFormatError, parse_item

# Rendered results that mean false, as Kestra's TruthUtils reads them.
_FALSE = {"", "false", "0", "-0"}


class _ItemError(Exception):
    """An item that could not be read, or on which the expression failed."""


def _variables(line: str, number: int) -> Mapping[str, Any]:
    try:
        item = parse_item(line)
    except ItemFormatError as exc:
        raise _ItemError(f"line {number} is not a JSON or Ion item ({exc}): {line[:200]}") from None
    if not isinstance(item, dict):
        raise _ItemError(f"line {number} is not a map of fields: {line[:200]}")
    return item


def _render(ctx: RunContext, expression: str, line: str, number: int) -> Any:
    """``expression`` rendered with the item's fields over the flow's variables."""
    try:
        return ctx.render_typed_with(expression, _variables(line, number))
    except ExpressionError as exc:
        raise _ItemError(f"line {number}: {exc.message}") from None


class FilterItems(RunnableTask):
    """Keep the items of a file for which ``filterCondition`` is true (``filterType:
    INCLUDE``, the default) or false (``EXCLUDE``); output the new file's ``uri``,
    ``processedItemsTotal`` and ``droppedItemsTotal``.

    The condition is false when it gives ``false``, ``0``, ``-0`` or an empty text. When it
    fails on an item or gives null, ``errorOrNullBehavior`` decides: ``FAIL`` (the default)
    fails the task, naming the line; ``INCLUDE`` keeps the item; ``EXCLUDE`` drops it.
    """

    type_name = "storage.filter-items"
    aliases = (
        "io.kestra.plugin.core.storage.FilterItems",
        "io.kestra.core.tasks.storages.FilterItems",
    )
    unrendered: ClassVar[frozenset[str]] = frozenset({"filterCondition"})

    from_: str = Field(alias="from")
    filter_condition: str
    filter_type: Literal["INCLUDE", "EXCLUDE"] = "INCLUDE"
    error_or_null_behavior: Literal["FAIL", "INCLUDE", "EXCLUDE"] = "FAIL"

    async def run(self, ctx: RunContext) -> Outputs | None:
        async with scratch() as tmp:
            source = await fetch(ctx, self.from_, "from", tmp, "source")
            target = tmp / f"{self.id}{extension_of(self.from_, '.ion')}"
            processed, dropped = await asyncio.to_thread(self._filter, ctx, source, target)
            uri = await ctx.storage.put_file(target.name, target)
        return {"uri": uri, "processedItemsTotal": processed, "droppedItemsTotal": dropped}

    def _keep(self, ctx: RunContext, line: str, number: int) -> bool:
        try:
            result = _render(ctx, self.filter_condition, line, number)
        except _ItemError as exc:
            if self.error_or_null_behavior == "FAIL":
                raise TaskFailure(f"filterCondition: {exc}", retryable=False) from None
            return self.error_or_null_behavior == "INCLUDE"
        if result is None:
            if self.error_or_null_behavior == "FAIL":
                raise TaskFailure(
                    f"filterCondition gave null on line {number}: {line[:200]}", retryable=False
                )
            return self.error_or_null_behavior == "INCLUDE"
        match = _truthy(result)
        return match if self.filter_type == "INCLUDE" else not match

    def _filter(self, ctx: RunContext, source: Path, target: Path) -> tuple[int, int]:
        processed = dropped = 0
        with open_text(source) as src, open_text(target, "w") as out:
            for number, line in enumerate(read_lines(src), start=1):
                if not line.strip():
                    continue
                processed += 1
                if self._keep(ctx, line, number):
                    out.write(line + "\n")
                else:
                    dropped += 1
        return processed, dropped


def _truthy(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE
    if isinstance(value, int | float):
        return value != 0
    return expressions.truthy(value)


class DeduplicateItems(RunnableTask):
    """Keep, for each key that ``expr`` gives, only the last item of a file (at the place
    of that last item); output the new file's ``uri``, ``numKeys``, ``processedItemsTotal``
    and ``droppedItemsTotal``. The file is read twice; only the keys are held in memory.
    An item on which ``expr`` fails fails the task, naming the line."""

    type_name = "storage.deduplicate-items"
    aliases = (
        "io.kestra.plugin.core.storage.DeduplicateItems",
        "io.kestra.core.tasks.storages.DeduplicateItems",
    )
    unrendered: ClassVar[frozenset[str]] = frozenset({"expr"})

    from_: str = Field(alias="from")
    expr: str

    async def run(self, ctx: RunContext) -> Outputs | None:
        async with scratch() as tmp:
            source = await fetch(ctx, self.from_, "from", tmp, "source")
            target = tmp / f"{self.id}{extension_of(self.from_, '.ion')}"
            keys, processed, dropped = await asyncio.to_thread(
                self._deduplicate, ctx, source, target
            )
            uri = await ctx.storage.put_file(target.name, target)
        return {
            "uri": uri,
            "numKeys": keys,
            "processedItemsTotal": processed,
            "droppedItemsTotal": dropped,
        }

    def _key(self, ctx: RunContext, line: str, number: int) -> str:
        try:
            key = _render(ctx, self.expr, line, number)
        except _ItemError as exc:
            raise TaskFailure(f"expr: {exc}", retryable=False) from None
        return to_text(key)  # the key as Kestra compares it: the rendered text

    def _deduplicate(self, ctx: RunContext, source: Path, target: Path) -> tuple[int, int, int]:
        last: dict[str, int] = {}
        with open_text(source) as src:
            for number, line in enumerate(read_lines(src), start=1):
                if line.strip():
                    last[self._key(ctx, line, number)] = number
        kept = set(last.values())
        processed = 0
        with open_text(source) as src, open_text(target, "w") as out:
            for number, line in enumerate(read_lines(src), start=1):
                if not line.strip():
                    continue
                processed += 1
                if number in kept:
                    out.write(line + "\n")
        return len(last), processed, processed - len(kept)
