"""Return: render a string and make it the task's ``value`` output."""

from __future__ import annotations

from headway.plugins.base import Outputs, RunContext, RunnableTask


class Return(RunnableTask):
    """Return a rendered string as the output ``value`` (useful to debug expressions)."""

    type_name = "return"
    aliases = ("io.kestra.plugin.core.debug.Return", "io.kestra.core.tasks.debugs.Return")

    format: str | None = None

    async def run(self, ctx: RunContext) -> Outputs | None:
        if self.format is not None:
            ctx.log("DEBUG", self.format)
        return {"value": self.format}
