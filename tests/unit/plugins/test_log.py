from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pydantic import ValidationError

from headway.plugins.core.log import Echo, Log

if TYPE_CHECKING:
    from conftest import FakeRunContext, TaskFactory


async def test_log_writes_one_message_at_info(ctx: FakeRunContext, make: TaskFactory) -> None:
    task = make(Log, message="hello")
    assert await task.run(ctx) is None
    assert ctx.logs == [("INFO", "hello")]


async def test_log_writes_one_line_per_message_of_a_list(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    task = make(Log, message=["first", "second"], level="DEBUG")
    await task.run(ctx)
    assert ctx.logs == [("DEBUG", "first"), ("DEBUG", "second")]


@pytest.mark.parametrize("level", ["TRACE", "DEBUG", "INFO", "WARN", "ERROR"])
async def test_log_uses_every_level(ctx: FakeRunContext, make: TaskFactory, level: str) -> None:
    await make(Log, message="m", level=level).run(ctx)
    assert ctx.logs == [(level, "m")]


async def test_log_writes_numbers_and_booleans_as_text(
    ctx: FakeRunContext, make: TaskFactory
) -> None:
    await make(Log, message=[42, True]).run(ctx)
    assert ctx.logs == [("INFO", "42"), ("INFO", "true")]


def test_log_rejects_an_unknown_level(make: TaskFactory) -> None:
    with pytest.raises(ValidationError, match="level"):
        make(Log, message="m", level="WARNING")


def test_log_requires_a_message(make: TaskFactory) -> None:
    with pytest.raises(ValidationError, match="message"):
        make(Log)


async def test_echo_logs_its_format(ctx: FakeRunContext, make: TaskFactory) -> None:
    await make(Echo, format="echoed", level="WARN").run(ctx)
    assert ctx.logs == [("WARN", "echoed")]


def test_echo_rejects_an_empty_format(make: TaskFactory) -> None:
    with pytest.raises(ValidationError, match="format"):
        make(Echo, format="")
