"""Sleep: wait for a duration before the flow goes on."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from pydantic import field_validator

from headway.flows.tasks import Duration, Dynamic
from headway.plugins.base import Outputs, RunContext, RunnableTask
from headway.plugins.core.rendered import rendered


class Sleep(RunnableTask):
    """Wait for an ISO-8601 duration (``PT5S``) before the next task starts."""

    type_name = "sleep"
    aliases = ("io.kestra.plugin.core.flow.Sleep", "io.kestra.core.tasks.flows.Sleep")

    duration: Dynamic[Duration]

    @field_validator("duration")
    @classmethod
    def _not_negative(cls, value: timedelta | str) -> timedelta | str:
        if isinstance(value, timedelta) and value < timedelta(0):
            raise ValueError("the duration must not be negative")
        return value

    async def run(self, ctx: RunContext) -> Outputs | None:
        duration = rendered(self.duration, timedelta, "duration")
        await asyncio.sleep(duration.total_seconds())
        return None
