"""Log and its deprecated twin Echo: write messages to the TaskRun's log."""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from headway.flows.tasks import LogLevel
from headway.plugins.base import Outputs, RunContext, RunnableTask


def _as_text(value: Any) -> Any:
    """A number or a boolean given as a message is logged as its text."""
    if isinstance(value, bool):
        return json.dumps(value)
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return [_as_text(item) for item in value]
    return value


Messages = Annotated[str | list[str], BeforeValidator(_as_text)]


class Log(RunnableTask):
    """Log one message, or one log line per message of a list, at the given level."""

    type_name = "log"
    aliases = ("io.kestra.plugin.core.log.Log", "io.kestra.core.tasks.log.Log")

    message: Messages
    level: LogLevel = "INFO"

    async def run(self, ctx: RunContext) -> Outputs | None:
        messages = [self.message] if isinstance(self.message, str) else self.message
        for message in messages:
            ctx.log(self.level, message)
        return None


class Echo(RunnableTask):
    """Log a message (deprecated in Kestra: use ``log``)."""

    type_name = "echo"
    aliases = ("io.kestra.plugin.core.debug.Echo", "io.kestra.core.tasks.debugs.Echo")

    format: Annotated[str, BeforeValidator(_as_text), Field(min_length=1)]
    level: LogLevel = "INFO"

    async def run(self, ctx: RunContext) -> Outputs | None:
        ctx.log(self.level, self.format)
        return None
