"""OutputValues: publish a map of rendered values as the task's ``values`` output."""

from __future__ import annotations

from typing import Any

from headway.flows.tasks import Dynamic
from headway.plugins.base import Outputs, RunContext, RunnableTask
from headway.plugins.core.rendered import rendered


class OutputValues(RunnableTask):
    """Output a map of values (strings, numbers, lists or maps; templates are rendered),
    read downstream as ``{{ outputs.<task-id>.values.<name> }}``."""

    type_name = "output.values"
    aliases = (
        "io.kestra.plugin.core.output.OutputValues",
        "io.kestra.core.tasks.outputs.OutputValues",
    )

    values: Dynamic[dict[str, Any]] | None = None

    async def run(self, ctx: RunContext) -> Outputs | None:
        values = {} if self.values is None else rendered(self.values, dict, "values")
        return {"values": values}
